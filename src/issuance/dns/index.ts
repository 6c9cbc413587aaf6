/** DNS-01 building blocks: the provider contract, two providers, and the propagation check. */
export { challengeFqdn, type DnsProvider } from './dns-provider.js'
export { ExecDnsProvider, type ExecDnsProviderOptions } from './exec-provider.js'
export { Rfc2136DnsProvider, type Rfc2136Options } from './rfc2136-provider.js'
export type { TsigAlgorithm, TsigKey } from './tsig.js'
export {
  MAX_PROPAGATION_CHECKS,
  parseHostPort,
  waitForTxt,
  type HostPort,
  type WaitForTxtOptions,
} from './propagation.js'
