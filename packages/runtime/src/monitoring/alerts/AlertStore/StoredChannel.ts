/**
 * An alert channel's row document: what listing needs in clear (name, kind, the redacted target, filters) and the
 * target itself sealed (ChannelCipher), so that the row holds no secret. Rows written before targets were sealed
 * (target in clear) are read too, and sealed when next written.
 */
import { AlertChannelId, ChannelKind, infoOf, redactTarget, StoredChannelTarget } from "@mirage/domain/AlertChannels"
import type { AlertChannel, ChannelInfo } from "@mirage/domain/AlertChannels"
import { Severity } from "@mirage/domain/Alerts"
import { OrganizationId } from "@mirage/domain/Ids"
import { Effect, Either, Schema } from "effect"
import { PersistenceError } from "../../../platform/Errors.js"
import type { ChannelCipherService } from "../ChannelSecrets.js"
import { SealBroken } from "../ChannelSecrets.js"

export const ChannelDocument = Schema.Struct({
  id: AlertChannelId,
  organization_id: OrganizationId,
  name: Schema.String,
  kind: Schema.optional(ChannelKind),
  view: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  /** The target, JSON, sealed under the channel's id. */
  sealed: Schema.optional(Schema.String),
  /** The target in clear: rows written before targets were sealed. */
  target: Schema.optional(StoredChannelTarget),
  min_severity: Severity,
  enabled: Schema.Boolean
})
export type ChannelDocument = typeof ChannelDocument.Type

const decodeDocument = (document: unknown) =>
  Effect.mapError(
    Schema.decodeUnknown(ChannelDocument)(document),
    (cause) => new PersistenceError({ operation: "read alert channel", cause })
  )

const TargetJson = Schema.parseJson(StoredChannelTarget)

/** The document of a channel, as encoded JSON: its target sealed. */
export const documentOf = (channel: AlertChannel, cipher: ChannelCipherService) =>
  Effect.orDie(
    Effect.flatMap(
      Schema.encode(TargetJson)(channel.target),
      (target) => Schema.encode(ChannelDocument)({ ...infoOf(channel), sealed: cipher.seal(target, channel.id) })
    )
  )

/** The channel without its secrets. */
export const infoFrom = (document: unknown): Effect.Effect<ChannelInfo, PersistenceError> =>
  Effect.flatMap(decodeDocument(document), (stored) => {
    const kind = stored.kind ?? stored.target?._tag
    const view = stored.view ?? (stored.target === undefined ? undefined : redactTarget(stored.target))
    return kind === undefined || view === undefined
      ? new PersistenceError({ operation: "read alert channel", cause: "a channel document without its target" })
      : Effect.succeed({
        id: stored.id,
        organization_id: stored.organization_id,
        name: stored.name,
        kind,
        view,
        min_severity: stored.min_severity,
        enabled: stored.enabled
      })
  })

/** The target of a stored channel: opened when sealed. */
const targetOf = (stored: ChannelDocument, cipher: ChannelCipherService) =>
  Effect.gen(function*() {
    if (stored.sealed === undefined) {
      if (stored.target !== undefined) return stored.target
      return yield* new PersistenceError({ operation: "open alert channel", cause: "a channel without its target" })
    }
    const json = cipher.open(stored.sealed, stored.id)
    if (Either.isLeft(json)) return yield* json.left
    return yield* Effect.mapError(
      Schema.decode(TargetJson)(json.right),
      (cause) => new SealBroken({ reason: `the opened target does not decode: ${cause.message.split("\n")[0]}` })
    )
  })

/** The channel with its target (opened). */
export const channelFrom = (
  document: unknown,
  cipher: ChannelCipherService
): Effect.Effect<AlertChannel, PersistenceError | SealBroken> =>
  Effect.flatMap(decodeDocument(document), (stored) =>
    Effect.map(targetOf(stored, cipher), (target) => ({
      id: stored.id,
      organization_id: stored.organization_id,
      name: stored.name,
      target,
      min_severity: stored.min_severity,
      enabled: stored.enabled
    })))
