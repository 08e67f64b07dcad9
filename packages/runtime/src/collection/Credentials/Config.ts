/**
 * Credentials from configuration: `MIRAGE_KEY_<SOURCE>` (several keys comma-separated) for each
 * known source, and/or a secrets file `MIRAGE_SECRETS_FILE` holding `{ "<source>": ["k1", "k2"] }`;
 * refused keys parked for `MIRAGE_KEY_PARK_MS` where KeyParking keeps them (Redis: every node).
 */
import { Config, Data, Duration, Effect, Layer, Option, Redacted, Schema } from "effect"
import { readFile } from "node:fs/promises"
import { Credentials, make, splitKeys } from "../Credentials.js"
import { KeyParking } from "../KeyParking.js"
import * as KeyParkingRedis from "../KeyParking/Redis.js"
import { installed } from "../ModuleCatalog.js"
import * as Settings from "../Settings.js"

export class SecretsFileError extends Data.TaggedError("SecretsFileError")<{
  readonly path: string
  readonly reason: string
}> {
  override get message() {
    return `secrets file ${this.path}: ${this.reason}`
  }
}

const SecretsFile = Schema.parseJson(
  Schema.Record({ key: Schema.String, value: Schema.Union(Schema.String, Schema.Array(Schema.String)) })
)

/** The environment variable of a source's keys: `email_format` → `MIRAGE_KEY_EMAIL_FORMAT`. */
export const envName = (source: string): string => `MIRAGE_KEY_${source.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`

const readSecretsFile = (path: string) =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: () => new SecretsFileError({ path, reason: "cannot be read" })
  }).pipe(
    Effect.flatMap((text) =>
      Schema.decode(SecretsFile)(text).pipe(
        // The parse error would quote the file, keys included: say only what shape is expected.
        Effect.mapError(() => new SecretsFileError({ path, reason: "expected a JSON object of source → key(s)" }))
      )
    )
  )

/** Keys of `sources` from the environment and the secrets file; file keys come after the environment's. */
export const load = (sources: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const keys = new Map<string, Array<Redacted.Redacted<string>>>()
    const add = (source: string, list: ReadonlyArray<Redacted.Redacted<string>>) => {
      if (list.length > 0) keys.set(source, [...(keys.get(source) ?? []), ...list])
    }
    for (const source of sources) {
      const value = yield* Config.option(
        Config.redacted(envName(source)).pipe(Config.withDescription(`API key(s) of ${source}, comma-separated`))
      )
      if (Option.isSome(value)) add(source, splitKeys(value.value))
    }
    const file = yield* Settings.secretsFile
    if (Option.isSome(file) && file.value.trim() !== "") {
      const secrets = yield* readSecretsFile(file.value.trim())
      for (const [source, value] of Object.entries(secrets)) {
        add(source, (typeof value === "string" ? [value] : value).flatMap((key) => splitKeys(Redacted.make(key))))
      }
    }
    return keys
  })

/** Every source id the registry's modules use. */
export const knownSources = (): ReadonlyArray<string> =>
  Array.from(new Set(installed.map((module) => module.source.id)))

/** Credentials from configuration over whatever KeyParking is provided. */
export const layerWithParking = Layer.effect(
  Credentials,
  Effect.gen(function*() {
    const keys = yield* load(knownSources())
    const parkMs = Duration.toMillis(yield* Settings.keyParkMs)
    return yield* make(keys, { parking: yield* KeyParking, parkMs })
  })
)

/** Credentials from configuration, parked keys in Redis: needs RedisClient. */
export const layer = layerWithParking.pipe(Layer.provide(KeyParkingRedis.layer))
