/**
 * netblock_ptr_sweep: the PTR names of every address of a small netblock, asked of the configured resolvers — a
 * reverse DNS sweep that maps a range to the hosts it names. A range larger than `max_addresses` is not swept (a
 * note says so): sweeping a /16 is 65,536 lookups. Each address with a PTR record is an IP, each name a DOMAIN.
 */
import { Effect, Option, Ref, Schema } from "effect"
import { dnsSession, dnsSource } from "../internal/Dns.js"
import { forEachByWorkers } from "../internal/Workers.js"
import { defineModule, type Finding, finding, targetValue } from "../Module.js"

export const NetblockSweepConfig = Schema.Struct({
  /** The largest range swept, in addresses (256 is a /24, 1024 a /22). */
  max_addresses: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 4096)), { default: () => 256, exact: true }),
  /** Lookups in flight at once (each still takes a token of the resolvers' rate limit). */
  concurrency: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 32)), { default: () => 8, exact: true })
})
export type NetblockSweepConfig = typeof NetblockSweepConfig.Type

const v4 = (ip: string) => ip.split(".").reduce((n, octet) => n * 256 + Number(octet), 0)
const dotted = (n: number) => [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".")

const hex = (ip: string): bigint => {
  const [head = "", tail = ""] = ip.split("::")
  const left = head === "" ? [] : head.split(":")
  const right = tail === "" ? [] : tail.split(":")
  const words = ip.includes("::") ? [...left, ...Array(8 - left.length - right.length).fill("0"), ...right] : left
  return words.reduce((n, word) => (n << 16n) + BigInt(parseInt(word, 16)), 0n)
}
const colons = (n: bigint) =>
  Array.from({ length: 8 }, (_, i) => ((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16)).join(":")

/** The block's addresses, or how many it has when that is more than `max`. */
export const addressesIn = (
  netblock: string,
  max: number
): { readonly addresses: ReadonlyArray<string>; readonly size: bigint } => {
  const [network = "", bits = "0"] = netblock.split("/")
  const v6 = network.includes(":")
  const size = 2n ** BigInt((v6 ? 128 : 32) - Number(bits))
  if (size > BigInt(max)) return { addresses: [], size }
  const count = Number(size)
  if (!v6) return { addresses: Array.from({ length: count }, (_, i) => dotted(v4(network) + i)), size }
  const first = hex(network)
  return { addresses: Array.from({ length: count }, (_, i) => colons(first + BigInt(i))), size }
}

export const netblockPtrSweep = defineModule({
  name: "netblock_ptr_sweep",
  title: "Netblock reverse DNS sweep",
  description: "Sweeps a small netblock's addresses for PTR records: the hosts a range names",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["NETBLOCK"],
  output_types: ["IP", "DOMAIN"],
  flags: ["active", "noisy"],
  configSchema: NetblockSweepConfig,
  source: dnsSource,
  setup: (config: NetblockSweepConfig, ctx) =>
    Effect.map(dnsSession<NetblockSweepConfig>("netblock_ptr_sweep")(config, ctx), (session) => ({
      ...session,
      notes: ctx.notes
    })),
  collect: (session, task) =>
    Effect.gen(function*() {
      const netblock = yield* targetValue("netblock_ptr_sweep", task, "NETBLOCK")
      const { addresses, size } = addressesIn(netblock, session.config.max_addresses)
      if (addresses.length === 0) {
        yield* session.notes.skipped(`${netblock} has ${size} addresses, more than max_addresses`)
        return []
      }
      const failed = yield* Ref.make(0)
      const answers = yield* forEachByWorkers(addresses, session.config.concurrency, (ip) =>
        session.dns.reverse(ip).pipe(
          Effect.tap(() => Ref.update(session.count, (n) => n + 1)),
          Effect.map((names) => ({ ip, names })),
          Effect.catchAll(() => Effect.as(Ref.update(failed, (n) => n + 1), { ip, names: [] as ReadonlyArray<string> }))
        ))
      const failures = yield* Ref.get(failed)
      if (failures > 0) yield* session.notes.warn(`${failures} of ${addresses.length} PTR lookups failed`)
      const findings: Array<Finding> = []
      const names = new Set<string>()
      for (const { ip, names: ptrs } of answers) {
        if (ptrs.length === 0) continue
        const context = { netblock, record_type: "PTR" }
        findings.push(...Option.toArray(finding("IP", ip, { confidence: 0.9, metadata: { ...context, ptr: ptrs } })))
        for (const name of ptrs) {
          const found = finding("DOMAIN", name, { confidence: 0.85, metadata: { ...context, ip } })
          if (Option.isSome(found) && !names.has(found.value.value)) {
            names.add(found.value.value)
            findings.push(found.value)
          }
        }
      }
      yield* session.log("netblock_ptr_sweep swept", { netblock, addresses: addresses.length, named: findings.length })
      return findings
    })
})
