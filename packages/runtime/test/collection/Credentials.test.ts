/** Credentials from configuration (environment and secrets file), turns, parked keys, and status without the keys. */
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Option, Redacted } from "effect"
import { mkdtemp, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Credentials, fingerprintOf } from "../../src/collection/Credentials.js"
import * as CredentialsConfig from "../../src/collection/Credentials/Config.js"
import * as KeyParkingMemory from "../../src/collection/KeyParking/Memory.js"

const secretsFile = (content: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const dir = await mkdtemp(join(tmpdir(), "mirage-secrets-"))
      await writeFile(join(dir, "secrets.json"), content)
      return dir
    }),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  ).pipe(Effect.map((dir) => join(dir, "secrets.json")))

const withConfig = (values: Record<string, string>) =>
  CredentialsConfig.layerWithParking.pipe(
    Layer.provide(KeyParkingMemory.layerFresh),
    Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(values)))))
  )

const current = (source: string) =>
  Effect.flatMap(Credentials, (credentials) => credentials.current(source)).pipe(
    Effect.map(Option.map(Redacted.value))
  )

describe("Credentials", () => {
  it.scoped("reads MIRAGE_KEY_<SOURCE> and the secrets file, and takes the keys in turn, parking refused ones", () =>
    Effect.gen(function*() {
      const path = yield* secretsFile(JSON.stringify({ shodan: ["key-c", "key-a"], github: "tok-g" }))
      const layer = withConfig({ MIRAGE_KEY_SHODAN: "key-a, key-b", MIRAGE_SECRETS_FILE: path })
      yield* Effect.gen(function*() {
        const credentials = yield* Credentials
        expect(yield* current("shodan")).toEqual(Option.some("key-a"))
        expect(yield* current("github")).toEqual(Option.some("tok-g"))
        expect(yield* current("virustotal")).toEqual(Option.none())
        // key-a twice (environment and file) counts once.
        const status = yield* credentials.status("shodan")
        expect(status).toEqual({
          source: "shodan",
          configured: true,
          keys: 3,
          pool: [
            { label: "key-1", fingerprint: fingerprintOf(Redacted.make("key-a")), parked: Option.none() },
            { label: "key-2", fingerprint: fingerprintOf(Redacted.make("key-b")), parked: Option.none() },
            { label: "key-3", fingerprint: fingerprintOf(Redacted.make("key-c")), parked: Option.none() }
          ]
        })
        for (const k of status.pool) expect(k.fingerprint).toMatch(/^[0-9a-f]{8}$/)
        expect(yield* credentials.status("virustotal")).toEqual({
          source: "virustotal",
          configured: false,
          keys: 0,
          pool: []
        })
        expect(JSON.stringify(status)).not.toMatch(/key-[abc]/)

        // Each request's turn starts one key further.
        const turn = () => Effect.map(credentials.next("shodan"), (t) => t.keys.map((k) => Redacted.value(k.key)))
        expect(yield* turn()).toEqual(["key-a", "key-b", "key-c"])
        expect(yield* turn()).toEqual(["key-b", "key-c", "key-a"])
        expect(yield* current("shodan")).toEqual(Option.some("key-c"))
        // A parked key leaves the turn; parking the last usable one says none is left.
        expect(yield* credentials.park("shodan", "key-2", "refused")).toBe(true)
        expect(yield* turn()).toEqual(["key-a", "key-c"])
        expect(yield* turn()).toEqual(["key-c", "key-a"])
        expect(yield* credentials.park("shodan", "key-1", "refused")).toBe(true)
        expect(yield* credentials.park("shodan", "key-3", "refused")).toBe(false)
        expect(yield* turn()).toEqual([])
        expect(yield* current("shodan")).toEqual(Option.none())
        expect((yield* credentials.status("shodan")).pool.every((k) => Option.isSome(k.parked))).toBe(true)
        expect((yield* credentials.all).map(Redacted.value).sort()).toEqual(["key-a", "key-b", "key-c", "tok-g"])
        // Printing a key shows nothing of it.
        expect(String(Option.getOrThrow(yield* credentials.current("github")))).not.toContain("tok-g")
      }).pipe(Effect.provide(layer))
    }))

  it.scoped("a secrets file that is not the expected JSON fails without quoting it", () =>
    Effect.gen(function*() {
      const path = yield* secretsFile(`{"shodan": 42, "note": "super-secret-value"}`)
      const error = yield* Effect.flip(Effect.provide(Credentials, withConfig({ MIRAGE_SECRETS_FILE: path })))
      expect(error._tag).toBe("SecretsFileError")
      expect(String(error)).not.toContain("super-secret-value")
    }))

  it.effect("no configuration: no keys", () =>
    Effect.gen(function*() {
      expect(yield* current("shodan")).toEqual(Option.none())
    }).pipe(Effect.provide(withConfig({}))))
})
