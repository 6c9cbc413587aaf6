export interface Io {
  stdout: NodeJS.WritableStream
  stderr: NodeJS.WritableStream
  env: NodeJS.ProcessEnv
}
export async function main(_argv: string[], _io: Io): Promise<number> {
  return 0
}
