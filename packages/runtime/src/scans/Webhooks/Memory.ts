/** Scans' webhooks in memory, and a sender that records requests and answers as told: twins for tests. */
import type { ScanId } from "@mirage/domain/Ids"
import type { Webhook } from "@mirage/domain/Scan"
import { Effect, Layer, Option } from "effect"
import { WebhookFailed, WebhookSender, WebhookStore } from "../Webhooks.js"
import type { WebhookRequest } from "../Webhooks.js"

export const makeStore = Effect.sync(() => {
  const hooks = new Map<string, Webhook>()
  const staged = new Map<string, { readonly scanId: ScanId; readonly webhook: Webhook | null }>()
  const set = (scanId: ScanId, webhook: Webhook | null) => {
    if (webhook === null) hooks.delete(scanId)
    else hooks.set(scanId, webhook)
  }
  return WebhookStore.of({
    get: (scanId) => Effect.sync(() => Option.fromNullable(hooks.get(scanId))),
    set: (scanId, webhook) => Effect.sync(() => set(scanId, webhook)),
    stage: (scanId, changeId, webhook) => Effect.sync(() => void staged.set(changeId, { scanId, webhook })),
    apply: (scanId, changeId) =>
      Effect.sync(() => {
        const change = staged.get(changeId)
        if (change === undefined || change.scanId !== scanId) return false
        staged.delete(changeId)
        set(scanId, change.webhook)
        return true
      }),
    discard: (changeId) => Effect.sync(() => void staged.delete(changeId)),
    // The twin keeps no log to look an update up in: its changes are applied by the observer only.
    staged: () => Effect.succeed([])
  })
})

export const layerStore = Layer.effect(WebhookStore, makeStore)

/** A sender that answers each request with the next status of `statuses` (then 200), recording every request. */
export const recordingSender = (statuses: ReadonlyArray<number> = []) => {
  const requests: Array<WebhookRequest> = []
  let i = 0
  const sender = WebhookSender.of({
    send: (request) =>
      Effect.suspend(() => {
        requests.push(request)
        const status = statuses[i++] ?? 200
        return status >= 200 && status < 300
          ? Effect.void
          : Effect.fail(
            new WebhookFailed({
              failure: "answered",
              status,
              reason: `answered ${status}`,
              permanent: status >= 400 && status < 500 && status !== 408 && status !== 429
            })
          )
      })
  })
  return { sender, requests }
}
