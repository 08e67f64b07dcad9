/**
 * dns_brute: names under a domain found by resolving candidates from a wordlist (a short
 * built-in one plus the configured words). Random labels are resolved first: if they resolve,
 * the domain has a wildcard, and candidates answering only with its addresses are dropped.
 */
import { Effect, Random, Ref, Schema } from "effect"
import { addressesOf, dnsSource } from "../internal/Dns.js"
import { eventLoopTurn } from "../internal/EventLoop.js"
import { forEachByWorkers } from "../internal/Workers.js"
import { defineModule, finding, targetValue } from "../Module.js"
import type { DnsError, Finding } from "../Module.js"

/** Common host names, most likely first: a short list, for breadth over depth. */
export const builtinWordlist: ReadonlyArray<string> = [
  "www",
  "mail",
  "webmail",
  "smtp",
  "imap",
  "pop",
  "mx",
  "ns1",
  "ns2",
  "vpn",
  "remote",
  "api",
  "dev",
  "staging",
  "test",
  "admin",
  "portal",
  "intranet",
  "app",
  "cdn",
  "static",
  "blog",
  "shop",
  "git",
  "ftp"
]

const labelPattern = /^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)$/

// One check over the whole list rather than a schema per word: decoding 50,000 words element by element
// held the event loop for half a second; the published JSON Schema still says what each word must be.
const Wordlist = Schema.declare(
  (input: unknown): input is ReadonlyArray<string> =>
    Array.isArray(input) && input.every((word) => typeof word === "string"),
  {
    description: "an array of strings",
    jsonSchema: { type: "array", items: { type: "string", pattern: labelPattern.source } }
  }
).pipe(
  Schema.filter((words) => {
    const bad = words.findIndex((word) => !labelPattern.test(word))
    return bad < 0 || { path: [bad], message: "must be a single DNS label" }
  })
)

export const DnsBruteConfig = Schema.Struct({
  /** Words to try on top of (or instead of) the built-in list. */
  wordlist: Schema.optionalWith(Wordlist, { default: () => [], exact: true }),
  use_builtin_wordlist: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  /** Lookups in flight at once. */
  concurrency: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 10, exact: true }),
  /** Random labels resolved to detect a wildcard; 0 turns detection off. */
  wildcard_probes: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 3, exact: true })
})
export type DnsBruteConfig = typeof DnsBruteConfig.Type

/** Words resolved between two yields to the event loop: a wordlist of any size streams through in slices this big. */
export const batchSize = 200

/**
 * The words to try, lower-cased, first occurrence kept, in order, a slice at a time: preparing them
 * is spread over the run instead of one pass over the whole list before the first lookup. A Set,
 * not `Array.dedupe`: that compares each word with every kept one, and 15,000 words froze the
 * node's event loop for seconds.
 */
export function* wordSlices(config: DnsBruteConfig, size = batchSize): Generator<ReadonlyArray<string>> {
  const seen = new Set<string>()
  let slice: Array<string> = []
  for (const list of config.use_builtin_wordlist ? [builtinWordlist, config.wordlist] : [config.wordlist]) {
    for (const raw of list) {
      const word = raw.toLowerCase()
      if (seen.has(word)) continue
      seen.add(word)
      slice.push(word)
      if (slice.length === size) {
        yield slice
        slice = []
      }
    }
  }
  if (slice.length > 0) yield slice
}

const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

/** A label no one would choose: 16 characters from Effect's Random, so tests can seed it. */
export const randomLabel: Effect.Effect<string> = Effect.map(
  Effect.all(Array.from({ length: 16 }, () => Random.nextIntBetween(0, alphabet.length))),
  (indexes) => indexes.map((index) => alphabet[index]).join("")
)

export const dnsBrute = defineModule({
  name: "dns_brute",
  description: "Finds names under a domain by resolving wordlist candidates, with wildcard detection",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  flags: ["active", "aggressive", "noisy"],
  configSchema: DnsBruteConfig,
  default_config: { wordlist: [], use_builtin_wordlist: true, concurrency: 10, wildcard_probes: 3 },
  source: dnsSource,
  setup: (config, ctx) =>
    Effect.gen(function*() {
      const lookups = yield* Ref.make(0)
      yield* Effect.addFinalizer(() =>
        Effect.flatMap(Ref.get(lookups), (count) => ctx.log("dns_brute session closed", { lookups: count }))
      )
      return { config, dns: ctx.dns, log: ctx.log, lookups }
    }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("dns_brute", task, "DOMAIN")
      const { config, dns } = session
      // A name's addresses, A then AAAA (the resolver follows CNAMEs); one family failing leaves the other's.
      const resolve = (name: string) =>
        Effect.zipRight(Ref.update(session.lookups, (n) => n + 1), addressesOf(dns, name))

      const probes = yield* Effect.replicateEffect(randomLabel, config.wildcard_probes)
      const probed = yield* Effect.forEach(probes, (label) => resolve(`${label}.${domain}`), {
        concurrency: config.concurrency
      })
      const wildcard = new Set(probed.flatMap((probe) => probe.addresses))
      if (wildcard.size > 0) {
        yield* session.log("dns_brute found a wildcard", { domain, addresses: Array.from(wildcard).sort() })
      }

      // One name failing (a broken delegation answering SERVFAIL) is not the resolver failing.
      let answered = 0
      let firstFailure: DnsError | undefined
      const findings: Array<Finding> = []
      const keep = (word: string, addresses: ReadonlyArray<string>) => {
        answered++
        if (addresses.length === 0) return
        // Answered only with the wildcard's addresses: the wildcard answered, not a real name.
        if (wildcard.size > 0 && addresses.every((address) => wildcard.has(address))) return
        const found = finding("DOMAIN", `${word}.${domain}`, {
          confidence: wildcard.size > 0 ? 0.8 : 1,
          source_data: { word, addresses },
          metadata: { method: "wordlist", wildcard: wildcard.size > 0 }
        })
        if (found._tag === "Some") findings.push(found.value)
      }
      // Slice by slice, giving the event loop a turn between slices: the node's timers and I/O (metrics,
      // commands, the scan's deadline) run while a large wordlist is worked through, and only one slice's
      // answers are held.
      for (const slice of wordSlices(config)) {
        const results = yield* forEachByWorkers(
          slice,
          config.concurrency,
          (word) => Effect.map(resolve(`${word}.${domain}`), (lookup) => ({ word, ...lookup }))
        )
        for (const { addresses, failures, word } of results) {
          if (addresses.length === 0 && failures[0] !== undefined) firstFailure ??= failures[0]
          else keep(word, addresses)
        }
        yield* eventLoopTurn
      }
      if (answered === 0 && firstFailure !== undefined) return yield* firstFailure
      return findings
    })
})
