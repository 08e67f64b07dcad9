/**
 * The bench's DNS server in a process of its own, so that answering 100,000 questions does not
 * count against the event loop being measured: a loopback listener over a zone in which every
 * hundredth word of the bench's wordlist has an address. Prints its address, then serves until killed.
 */
import * as DnsServer from "@mirage/testkit/DnsServer"
import { Effect } from "effect"
import { benchDomain, benchZone } from "./DnsBrute.js"

const words = Number(process.argv[2] ?? "50000")

Effect.runFork(
  Effect.scoped(
    Effect.gen(function*() {
      const server = yield* DnsServer.make(benchZone(words))
      yield* Effect.sync(() => process.stdout.write(`${JSON.stringify({ address: server.address, benchDomain })}\n`))
      yield* Effect.never
    })
  )
)
