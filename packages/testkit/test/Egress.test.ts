/** The egress recorder sees TCP connects, UDP sends and resolver queries, and stops seeing them when its scope ends. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import dgram from "node:dgram"
import { promises as dns } from "node:dns"
import { connect, createServer } from "node:net"
import type { AddressInfo } from "node:net"
import * as DnsServer from "../src/DnsServer.js"
import * as Egress from "../src/Egress.js"

const listener = Effect.acquireRelease(
  Effect.async<ReturnType<typeof createServer>>((resume) => {
    const server = createServer((socket) => socket.end())
    server.listen(0, "127.0.0.2", () => resume(Effect.succeed(server)))
  }),
  (server) => Effect.sync(() => server.close())
)

const tcpConnect = (port: number) =>
  Effect.async<void>((resume) => {
    const socket = connect({ host: "127.0.0.2", port }, () => {
      socket.destroy()
      resume(Effect.void)
    })
  })

const udpSend = (port: number) =>
  Effect.async<void>((resume) => {
    const socket = dgram.createSocket("udp4")
    socket.send(Buffer.from("x"), port, "127.0.0.3", () => {
      socket.close()
      resume(Effect.void)
    })
  })

describe("Egress", () => {
  it.scoped("records TCP connects, UDP sends and the servers a resolver asks", () =>
    Effect.gen(function*() {
      const server = yield* listener
      const port = (server.address() as AddressInfo).port
      const zone = yield* DnsServer.make({ "a.egress.test": { A: ["127.0.0.7"] } })
      const recorder = yield* Effect.scoped(Effect.gen(function*() {
        const recorder = yield* Egress.record
        yield* tcpConnect(port)
        yield* udpSend(9)
        const resolver = new dns.Resolver()
        resolver.setServers([zone.address])
        expect(yield* Effect.promise(() => resolver.resolve4("a.egress.test"))).toEqual(["127.0.0.7"])
        return recorder
      }))
      const [host, dnsPort] = zone.address.split(":")
      const seen = recorder.connections()
      expect(seen).toContainEqual({ protocol: "tcp", address: "127.0.0.2", port })
      expect(seen).toContainEqual({ protocol: "udp", address: "127.0.0.3", port: 9 })
      expect(seen).toContainEqual({ protocol: "dns", address: host, port: Number(dnsPort) })
      // Uninstalled with its scope: later connections are not seen.
      yield* tcpConnect(port)
      expect(recorder.connections()).toHaveLength(seen.length)
    }))
})
