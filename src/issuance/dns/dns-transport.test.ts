import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createSocket, type Socket } from 'node:dgram'
import { createServer, type Server } from 'node:net'
import { systemClock } from '../../clock.js'
import { GatehouseError } from '../../errors.js'
import { MAX_UDP_ATTEMPTS, exchange } from './dns-transport.js'

/** A query-shaped message: 12-byte header with this ID, then `size - 12` filler bytes. */
function query(id: number, size = 12): Buffer {
  const wire = Buffer.alloc(size)
  wire.writeUInt16BE(id, 0)
  return wire
}

/** The query turned into an answer: QR set, plus `flags` in the low byte of the flags word. */
function answer(q: Buffer, extraFlags = 0, tag = 0): Buffer {
  const a = Buffer.from(q.subarray(0, 12))
  a[2] = (a[2] ?? 0) | 0x80 | extraFlags
  a[11] = tag
  return a
}

async function udpServer(
  onMessage: (msg: Buffer, reply: (b: Buffer) => void) => void,
): Promise<Socket> {
  const sock = createSocket('udp4')
  sock.on('message', (msg, rinfo) => onMessage(msg, (b) => sock.send(b, rinfo.port, rinfo.address)))
  await new Promise<void>((resolve) => sock.bind(0, '127.0.0.1', resolve))
  return sock
}

async function tcpServer(
  port: number,
  tag: number,
): Promise<{ server: Server; lengths: number[] }> {
  const lengths: number[] = []
  const server = createServer((conn) => {
    conn.once('data', (chunk: Buffer) => {
      lengths.push(chunk.readUInt16BE(0))
      const a = answer(chunk.subarray(2), 0, tag)
      const prefix = Buffer.alloc(2)
      prefix.writeUInt16BE(a.length, 0)
      // Split the write to check the reader reassembles a length-prefixed answer.
      conn.write(Buffer.concat([prefix, a.subarray(0, 5)]))
      setTimeout(() => conn.end(a.subarray(5)), 20)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  return { server, lengths }
}

/**
 * A UDP and a TCP server on one port number. The UDP port is free for UDP only: another test's TCP
 * socket may hold that number (EADDRINUSE, seen in CI), so a few numbers are tried.
 */
async function udpAndTcp(
  onMessage: (msg: Buffer, reply: (b: Buffer) => void) => void,
  tag: number,
): Promise<{ udp: Socket; tcp: { server: Server; lengths: number[] }; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const udp = await udpServer(onMessage)
    const port = udp.address().port
    try {
      return { udp, tcp: await tcpServer(port, tag), port }
    } catch (err) {
      udp.close()
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 10) throw err
    }
  }
}

const options = { timeoutMs: 3000, clock: systemClock }

test('UDP: ignores a datagram with another ID and returns the matching answer', async () => {
  const udp = await udpServer((msg, reply) => {
    reply(answer(query(msg.readUInt16BE(0) ^ 1), 0, 1))
    reply(answer(msg, 0, 2))
  })
  try {
    const got = await exchange({ host: '127.0.0.1', port: udp.address().port }, query(7), options)
    assert.equal(got.readUInt16BE(0), 7)
    assert.equal(got[11], 2)
  } finally {
    udp.close()
  }
})

test('a truncated UDP answer is asked again over TCP; a message over 512 bytes goes straight to TCP', async () => {
  const { udp, tcp, port } = await udpAndTcp((msg, reply) => reply(answer(msg, 0x02, 1)), 9) // TC set
  try {
    const got = await exchange({ host: '127.0.0.1', port }, query(11), options)
    assert.equal(got[11], 9, 'the TCP answer wins')
    const big = await exchange({ host: '127.0.0.1', port }, query(12, 600), options)
    assert.equal(big.readUInt16BE(0), 12)
    assert.deepEqual(tcp.lengths, [12, 600])
  } finally {
    udp.close()
    tcp.server.close()
  }
})

test(`UDP: sends ${MAX_UDP_ATTEMPTS} times, then fails with ERR_DNS_PROVIDER`, async () => {
  let received = 0
  const udp = await udpServer(() => received++)
  try {
    await assert.rejects(
      exchange({ host: '127.0.0.1', port: udp.address().port }, query(5), {
        ...options,
        timeoutMs: 300,
      }),
      (err: unknown) =>
        err instanceof GatehouseError &&
        err.code === 'ERR_DNS_PROVIDER' &&
        /over UDP after 3 attempts in 300 ms/.test(err.message),
    )
    assert.equal(received, MAX_UDP_ATTEMPTS)
  } finally {
    udp.close()
  }
})

test('an already aborted signal sends nothing', async () => {
  let received = 0
  const udp = await udpServer(() => received++)
  try {
    const signal = AbortSignal.abort()
    await assert.rejects(
      exchange({ host: '127.0.0.1', port: udp.address().port }, query(5), { ...options, signal }),
      { code: 'ERR_ABORTED' },
    )
    assert.equal(received, 0)
  } finally {
    udp.close()
  }
})
