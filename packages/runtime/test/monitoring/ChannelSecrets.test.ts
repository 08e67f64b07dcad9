/**
 * Channel secrets at rest: AES-256-GCM sealing bound to the channel's id; a generated key file made once and
 * shared; and in Postgres, a channel's row holds no secret of its target while listing shows it redacted and a
 * delivery still reaches the receiver with the token in its URL.
 */
import { describe, expect, it } from "@effect/vitest"
import { AlertChannelId } from "@mirage/domain/AlertChannels"
import type { AlertChannel } from "@mirage/domain/AlertChannels"
import { Alert, AlertEntity, AlertId, AlertRuleId } from "@mirage/domain/Alerts"
import { deriveUuid, OrganizationId, ScanId } from "@mirage/domain/Ids"
import { AlertStore } from "@mirage/runtime/monitoring/alerts/AlertStore"
import * as AlertStorePostgres from "@mirage/runtime/monitoring/alerts/AlertStore/Postgres"
import * as Channels from "@mirage/runtime/monitoring/alerts/Channels"
import { ChannelSender } from "@mirage/runtime/monitoring/alerts/Channels"
import { keyFromFile, make, parseKey } from "@mirage/runtime/monitoring/alerts/ChannelSecrets"
import { PgClient } from "@mirage/runtime/platform/PgClient"
import * as AlertReceivers from "@mirage/testkit/AlertReceivers"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import { DateTime, Effect, Either, Layer, Option } from "effect"
import { randomBytes } from "node:crypto"
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { stores } from "./Harness.js"

const organization = OrganizationId.make("0b7f3c52-4d1e-4a6b-9c2d-5e8f7a6b1c04")

const layer = Layer.mergeAll(AlertStorePostgres.layer, Channels.layer).pipe(
  Layer.provideMerge(ChannelPorts.layer({ policy: ChannelPorts.loopbackOnly })),
  Layer.provideMerge(stores)
)

const alert = Alert.make({
  id: AlertId.make(deriveUuid("secrets-test-alert")),
  organization_id: organization,
  rule_id: AlertRuleId.make(deriveUuid("secrets-test-rule")),
  rule_name: "new vulnerability",
  kind: "new_entity",
  severity: "critical",
  scan_id: ScanId.make(deriveUuid("secrets-test-scan")),
  target: "example.com",
  digest: false,
  entities: [AlertEntity.make({ type: "VULNERABILITY", value: "CVE-2024-3094", expires_at: null })],
  at: DateTime.unsafeMake(1_700_000_000_000)
})

describe("ChannelSecrets", () => {
  it("seals with a fresh nonce, opens only under the same key and channel, and refuses an altered text", () => {
    const cipher = make(ChannelPorts.testKey)
    const one = cipher.seal("hunter2-sekrit", "channel-a")
    const two = cipher.seal("hunter2-sekrit", "channel-a")
    expect(one).not.toBe(two)
    expect(one).not.toContain("hunter2")
    expect(cipher.open(one, "channel-a")).toEqual(Either.right("hunter2-sekrit"))
    expect(Either.isLeft(cipher.open(one, "channel-b"))).toBe(true)
    const other = make(randomBytes(32))
    expect(Either.getLeft(other.open(one, "channel-a")).pipe(Option.map((error) => error.reason))).toEqual(
      Option.some(expect.stringContaining("another key"))
    )
    const parts = one.split(".")
    parts[4] = Buffer.from("tampered").toString("base64url")
    expect(Either.isLeft(cipher.open(parts.join("."), "channel-a"))).toBe(true)
    expect(Either.isRight(parseKey(ChannelPorts.testKeyHex))).toBe(true)
    expect(Either.isRight(parseKey(randomBytes(32).toString("base64")))).toBe(true)
    expect(Either.isLeft(parseKey("too short"))).toBe(true)
  })

  it.effect("a missing key file is generated once (mode 0600); processes starting together agree on it", () =>
    Effect.gen(function*() {
      const folder = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "mirage-channel-key-")))
      const path = join(folder, "nested", "channel.key")
      const keys = yield* Effect.all(Array.from({ length: 4 }, () => keyFromFile(path)), { concurrency: "unbounded" })
      for (const key of keys) expect(key.equals(keys[0]!)).toBe(true)
      expect((yield* keyFromFile(path)).equals(keys[0]!)).toBe(true)
      const mode = (yield* Effect.promise(() => stat(path))).mode & 0o777
      expect(mode).toBe(0o600)
      expect((yield* Effect.promise(() => readFile(path, "utf8"))).trim()).toBe(keys[0]!.toString("base64"))
      // The losers' temporary files went too.
      expect(yield* Effect.promise(() => readdir(join(folder, "nested")))).toEqual(["channel.key"])
      yield* Effect.promise(() => rm(folder, { recursive: true }))
    }))

  it.effect("a key file that cannot be read (not missing) is an error naming the path, and nothing is generated", () =>
    Effect.gen(function*() {
      const folder = yield* Effect.promise(() => mkdtemp(join(tmpdir(), "mirage-channel-key-")))
      const failed = yield* Effect.flip(keyFromFile(folder))
      expect([failed._tag, failed.path, failed.reason]).toEqual([
        "KeyFileError",
        folder,
        expect.stringContaining("EISDIR")
      ])
      expect(yield* Effect.promise(() => readdir(folder))).toEqual([])
      yield* Effect.promise(() => rm(folder, { recursive: true }))
    }))

  it.scoped(
    "a channel's row holds none of its secrets; reads are redacted; delivery still works",
    () =>
      Effect.gen(function*() {
        const token = "123456:AAsekritBotToken"
        const telegram = yield* AlertReceivers.telegram(token)
        const smtp = yield* AlertReceivers.smtp({ username: "alerts", password: "smtp-sekrit-pa55" })
        const store = yield* AlertStore
        const channels: ReadonlyArray<AlertChannel> = [
          {
            id: AlertChannelId.make(deriveUuid("secrets-test-telegram")),
            organization_id: organization,
            name: "telegram",
            target: { _tag: "telegram", bot_token: token, chat_id: "-1001234", api_base: telegram.url },
            min_severity: "info",
            enabled: true
          },
          {
            id: AlertChannelId.make(deriveUuid("secrets-test-email")),
            organization_id: organization,
            name: "email",
            target: {
              _tag: "email",
              host: smtp.host,
              port: smtp.port,
              secure: false,
              tls: "none",
              username: "alerts",
              password: "smtp-sekrit-pa55",
              from: "mirage@example.org",
              to: ["soc@example.org"]
            },
            min_severity: "info",
            enabled: true
          }
        ]
        for (const channel of channels) yield* store.putChannel(channel)

        const sql = yield* PgClient
        const rows = yield* Effect.promise(() =>
          sql<Array<{ text: string }>>`select document::text as text from alert_channels`
        )
        expect(rows).toHaveLength(2)
        for (const row of rows) {
          expect(row.text).not.toContain("AAsekritBotToken")
          expect(row.text).not.toContain("smtp-sekrit-pa55")
          expect(row.text).toContain("sealed")
        }
        const listed = JSON.stringify(yield* store.channels(organization))
        expect(listed).not.toContain("AAsekritBotToken")
        expect(listed).not.toContain("smtp-sekrit-pa55")
        expect(listed).toContain("[redacted]")

        // A change that does not touch the target keeps it sealed as it was.
        yield* store.patchChannel(organization, channels[0]!.id, { name: "telegram (SOC)" })
        const sender = yield* ChannelSender
        for (const channel of channels) {
          const opened = yield* store.openChannel(organization, channel.id)
          expect(Option.map(opened, (each) => each.target)).toEqual(Option.some(channel.target))
          yield* sender.send(Option.getOrThrow(opened), alert)
        }
        expect(telegram.accepted()).toHaveLength(1)
        expect(smtp.received().map((mail) => mail.authenticated)).toEqual([true])
      }).pipe(Effect.provide(layer)),
    60_000
  )
})
