/**
 * The real webhook sender goes through the scope guard: in the sandbox a webhook to a documentation address (a
 * literal, or a name resolving to one) is refused without any connection, a loopback receiver is still reached;
 * under production's policy loopback and cloud metadata are refused; the gateway's check refuses literal addresses
 * the policy refuses before anything is stored.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ScopeGuard from "@mirage/runtime/collection/ScopeGuard"
import type { NetworkPolicy, Resolve } from "@mirage/runtime/collection/ScopeGuard"
import { deliver, signatureHeader, webhookUrlProblem } from "@mirage/runtime/scans/Webhooks"
import type { WebhookFailed } from "@mirage/runtime/scans/Webhooks"
import * as WebhooksFetch from "@mirage/runtime/scans/Webhooks/Fetch"
import * as Egress from "@mirage/testkit/Egress"
import { Cause, Effect, Either, Exit, Layer, Option } from "effect"
import type { IncomingHttpHeaders } from "node:http"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"

const sandbox: NetworkPolicy = Either.getOrThrow(ScopeGuard.makePolicy({ sandbox: true }))
const settings = { baseMs: 10, maxDelayMs: 10, retries: 3 }
const secret = "a-webhook-secret-of-some-length"

/** A stub resolver: every name is the given address (the sandbox's own DNS stands in for it). */
const resolvingTo = (address: string): Resolve => () =>
  Promise.resolve([{ address, family: address.includes(":") ? 6 : 4 }])

/** A receiver on loopback recording what it is sent. */
const receiver = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly received: Array<IncomingHttpHeaders>; readonly close: () => void }>(
    (resume) => {
      const received: Array<IncomingHttpHeaders> = []
      const server = createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          received.push(request.headers)
          response.statusCode = 204
          response.end()
        })
      })
      server.listen(0, "127.0.0.1", () => {
        const { port } = server.address() as AddressInfo
        resume(Effect.succeed({ url: `http://127.0.0.1:${port}/hook`, received, close: () => server.close() }))
      })
    }
  ),
  (r) => Effect.sync(() => r.close())
)

/** Delivers one signed body to `url` with the guard over `policy`; the failure if it failed. */
const send = (policy: NetworkPolicy, url: string, resolve?: Resolve) =>
  Effect.gen(function*() {
    const sender = yield* WebhooksFetch.make
    return yield* Effect.exit(deliver(sender, { url, secret }, "{\"type\":\"scan.status_changed\"}", settings, 0))
  }).pipe(Effect.provide(Layer.fresh(ScopeGuard.layerWith(policy, resolve))))

const refusedWithoutRetry = (exit: Exit.Exit<void, WebhookFailed>) => {
  expect(Exit.isFailure(exit)).toBe(true)
  if (Exit.isFailure(exit)) {
    const failure = Option.getOrUndefined(Cause.failureOption(exit.cause))
    expect(failure?.permanent).toBe(true)
    expect(failure?.reason).toContain("out of scope")
  }
}

const tcpTo = (recorder: Egress.Recorder, address: string) =>
  recorder.connections().filter((c) => c.protocol === "tcp" && c.address === address)

describe("WebhooksFetch", () => {
  it.scopedLive("in the sandbox a webhook to a documentation address is refused and never connected to", () =>
    Effect.gen(function*() {
      const recorder = yield* Egress.record
      refusedWithoutRetry(yield* send(sandbox, "http://192.0.2.1/hook"))
      refusedWithoutRetry(yield* send(sandbox, "http://hooks.example.test/hook", resolvingTo("192.0.2.1")))
      refusedWithoutRetry(yield* send(sandbox, "http://169.254.169.254/latest/meta-data/"))
      expect(tcpTo(recorder, "192.0.2.1")).toEqual([])
      expect(tcpTo(recorder, "169.254.169.254")).toEqual([])
    }))

  it.scopedLive("in the sandbox a loopback receiver still gets the signed delivery", () =>
    Effect.gen(function*() {
      const recorder = yield* Egress.record
      const hook = yield* receiver
      const exit = yield* send(sandbox, hook.url)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(hook.received).toHaveLength(1)
      expect(hook.received[0]?.[signatureHeader]).toMatch(/^sha256=[0-9a-f]{64}$/)
      expect(recorder.connections().filter((c) => c.protocol === "tcp").every((c) => c.address === "127.0.0.1"))
        .toBe(true)
    }))

  it.scopedLive("under production's policy a loopback receiver is refused, by address and by name", () =>
    Effect.gen(function*() {
      const hook = yield* receiver
      refusedWithoutRetry(yield* send(ScopeGuard.defaultPolicy, hook.url))
      refusedWithoutRetry(
        yield* send(
          ScopeGuard.defaultPolicy,
          hook.url.replace("127.0.0.1", "hooks.example.test"),
          resolvingTo("127.0.0.1")
        )
      )
      expect(hook.received).toEqual([])
    }))

  it("the gateway's check: address literals the policy refuses, names left to the delivery", () => {
    const production = ScopeGuard.defaultPolicy
    expect(webhookUrlProblem(production, "http://169.254.169.254/latest")).toContain("link-local")
    expect(webhookUrlProblem(production, "http://[::1]:8080/hook")).toContain("loopback")
    expect(webhookUrlProblem(production, "http://[::ffff:10.0.0.1]/hook")).toContain("private")
    // The URL parser reads a number as an IPv4 address: 2852039166 is 169.254.169.254.
    expect(webhookUrlProblem(production, "http://2852039166/hook")).toContain("link-local")
    expect(webhookUrlProblem(production, "https://93.184.215.14/hook")).toBeUndefined()
    expect(webhookUrlProblem(production, "https://hooks.example.org/hook")).toBeUndefined()
    expect(webhookUrlProblem(sandbox, "http://192.0.2.1/hook")).toContain("documentation")
    expect(webhookUrlProblem(sandbox, "https://93.184.215.14/hook")).toContain("outside the sandbox")
    expect(webhookUrlProblem(sandbox, "http://127.0.0.1:9000/hook")).toBeUndefined()
  })
})
