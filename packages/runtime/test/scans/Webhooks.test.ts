/** Webhook deliveries under TestClock: signed bodies, exponential bounded retries, permanent refusals not retried. */
import { describe, expect, it } from "@effect/vitest"
import { ScanId } from "@mirage/domain/Ids"
import { deliver, makeDispatcher, sign, signatureHeader, timestampHeader } from "@mirage/runtime/scans/Webhooks"
import { WebhookSender, WebhookStore } from "@mirage/runtime/scans/Webhooks"
import * as WebhooksMemory from "@mirage/runtime/scans/Webhooks/Memory"
import { Effect, Fiber, Layer, TestClock } from "effect"
import { createHmac } from "node:crypto"

const webhook = { url: "https://hooks.example/mirage", secret: "s3cret-s3cret-s3cret" }
const settings = { baseMs: 1000, maxDelayMs: 5000, retries: 4 }
const body = JSON.stringify({ type: "scan.status_changed", status: "RUNNING" })

describe("Webhooks", () => {
  it("signs the raw body with HMAC-SHA256 as sha256=<hex>", () => {
    const expected = createHmac("sha256", webhook.secret).update(body).digest("hex")
    expect(sign(webhook.secret, body)).toBe(`sha256=${expected}`)
  })

  it.effect("retries failures on an exponential schedule capped at maxDelayMs, then succeeds", () =>
    Effect.gen(function*() {
      const { requests, sender } = WebhooksMemory.recordingSender([500, 503, 429])
      const fiber = yield* Effect.fork(deliver(sender, webhook, body, settings, 1_700_000_000_000))
      yield* TestClock.adjust("0 millis")
      expect(requests).toHaveLength(1)
      yield* TestClock.adjust("999 millis")
      expect(requests).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      expect(requests).toHaveLength(2)
      yield* TestClock.adjust("2000 millis")
      expect(requests).toHaveLength(3)
      yield* TestClock.adjust("4000 millis")
      expect(requests).toHaveLength(4)
      yield* Fiber.join(fiber)
      for (const request of requests) {
        expect(request.body).toBe(body)
        expect(request.headers[signatureHeader]).toBe(sign(webhook.secret, body))
        expect(request.headers[timestampHeader]).toBe("1700000000")
      }
    }))

  it.effect("gives up after the bounded number of retries", () =>
    Effect.gen(function*() {
      const { requests, sender } = WebhooksMemory.recordingSender([500, 500, 500, 500, 500, 500, 500])
      const fiber = yield* Effect.fork(Effect.flip(deliver(sender, webhook, body, settings, 0)))
      // 1 s, 2 s, 4 s, then capped at 5 s.
      yield* TestClock.adjust("12000 millis")
      expect(requests).toHaveLength(5)
      const error = yield* Fiber.join(fiber)
      expect(error.status).toBe(500)
      yield* TestClock.adjust("60000 millis")
      expect(requests).toHaveLength(5)
    }))

  it.effect("does not retry a permanent refusal (4xx other than 408 and 429)", () =>
    Effect.gen(function*() {
      const { requests, sender } = WebhooksMemory.recordingSender([410])
      const error = yield* Effect.flip(deliver(sender, webhook, body, settings, 0))
      expect(error.permanent).toBe(true)
      yield* TestClock.adjust("60000 millis")
      expect(requests).toHaveLength(1)
    }))

  it.scoped("the dispatcher never blocks the caller and delivers in the background", () =>
    Effect.gen(function*() {
      const { requests, sender } = WebhooksMemory.recordingSender([500])
      const store = yield* WebhooksMemory.makeStore
      const scanId = ScanId.make("6f1c2a9e-0000-4000-8000-000000000001")
      yield* store.set(scanId, webhook)
      const dispatcher = yield* makeDispatcher({ ...settings, concurrency: 1, capacity: 2 }).pipe(
        Effect.provide(Layer.mergeAll(Layer.succeed(WebhookStore, store), Layer.succeed(WebhookSender, sender)))
      )
      // More than the capacity: enqueue still returns at once (the oldest are dropped).
      for (let i = 0; i < 5; i++) yield* dispatcher.enqueue({ scan_id: scanId, body, at: 0 })
      yield* TestClock.adjust("0 millis")
      expect(requests.length).toBeGreaterThanOrEqual(1)
      yield* TestClock.adjust("10000 millis")
      expect(requests.length).toBeGreaterThanOrEqual(3)
      expect(requests.length).toBeLessThanOrEqual(4)
    }))
})
