/**
 * Alert channels' targets sealed at rest: webhook URLs carry tokens, Telegram targets a bot token, e-mail targets an
 * SMTP password, so a channel's target is stored only as AES-256-GCM ciphertext (a fresh 96-bit nonce per seal,
 * the channel's id as associated data so that a sealed target cannot be moved to another row). The key is
 * MIRAGE_CHANNEL_KEY (32 bytes, base64 or hex), the same on every gateway and node; when it is not set (development,
 * tests), a key is generated once into MIRAGE_CHANNEL_KEY_FILE (mode 0600) and read from there. Never logged.
 */
import { Context, Data, Effect, Either, Layer, Option, Redacted } from "effect"
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"
import { link, mkdir, readFile, unlink, writeFile } from "node:fs/promises"
import { dirname } from "node:path"
import { channelKey, channelKeyFile } from "./Settings.js"

/** A sealed text that cannot be opened: another key, or a text altered. */
export class SealBroken extends Data.TaggedError("SealBroken")<{ readonly reason: string }> {}

export interface ChannelCipherService {
  /** The text sealed, bound to `context` (the channel's id). */
  readonly seal: (plain: string, context: string) => string
  readonly open: (sealed: string, context: string) => Either.Either<string, SealBroken>
}

export class ChannelCipher
  extends Context.Tag("@mirage/runtime/ChannelCipher")<ChannelCipher, ChannelCipherService>()
{}

const version = "v1"

/** Names a key without revealing it: a sealed text says which key sealed it. */
const keyIdOf = (key: Uint8Array) =>
  createHash("sha256").update("mirage-channel-key\0").update(key).digest("hex").slice(0, 12)

export const make = (key: Uint8Array): ChannelCipherService => {
  const keyId = keyIdOf(key)
  return {
    seal: (plain, context) => {
      const nonce = randomBytes(12)
      const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(Buffer.from(context, "utf8"))
      const body = Buffer.concat([cipher.update(plain, "utf8"), cipher.final()])
      return [version, keyId, nonce, cipher.getAuthTag(), body]
        .map((part) => typeof part === "string" ? part : part.toString("base64url"))
        .join(".")
    },
    open: (sealed, context) => {
      const [v, id, nonce, tag, body, ...rest] = sealed.split(".")
      if (v !== version || nonce === undefined || tag === undefined || body === undefined || rest.length > 0) {
        return Either.left(new SealBroken({ reason: "not a sealed text" }))
      }
      if (id !== keyId) {
        return Either.left(new SealBroken({ reason: `sealed under another key (${id}; this process has ${keyId})` }))
      }
      try {
        const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"))
          .setAAD(Buffer.from(context, "utf8"))
        decipher.setAuthTag(Buffer.from(tag, "base64url"))
        return Either.right(
          Buffer.concat([decipher.update(Buffer.from(body, "base64url")), decipher.final()]).toString("utf8")
        )
      } catch {
        return Either.left(new SealBroken({ reason: "the sealed text does not authenticate" }))
      }
    }
  }
}

/** 32 bytes from base64, base64url or hex text. */
export const parseKey = (text: string): Either.Either<Buffer, string> => {
  const trimmed = text.trim()
  const bytes = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : Buffer.from(trimmed.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  return bytes.length === 32 ? Either.right(bytes) : Either.left("expected 32 bytes, as base64 or hex")
}

/** The code of a Node system error (`ENOENT`, `EEXIST`), if the cause is one. */
const errnoCode = (cause: unknown): string | undefined =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : undefined

const reasonOf = (cause: unknown, otherwise: string): string => cause instanceof Error ? cause.message : otherwise

class KeyFileError extends Data.TaggedError("KeyFileError")<{ readonly path: string; readonly reason: string }> {}

/**
 * The key kept in `path`, generated there first if there is none: written whole to a temporary file, then linked
 * into place, so that processes starting together agree on one key and none reads half of it.
 */
export const keyFromFile = (path: string) =>
  Effect.gen(function*() {
    const read = Effect.tryPromise({
      try: () => readFile(path, "utf8"),
      catch: (cause) => ({ missing: errnoCode(cause) === "ENOENT", reason: reasonOf(cause, "unreadable") })
    })
    const existing = yield* Effect.either(read)
    const text = Either.isRight(existing) ? existing.right : yield* Effect.gen(function*() {
      if (!existing.left.missing) {
        return yield* new KeyFileError({ path, reason: existing.left.reason })
      }
      const generated = randomBytes(32).toString("base64")
      const temporary = `${path}.${process.pid}.${randomBytes(4).toString("hex")}`
      const unwritable = (cause: unknown) => new KeyFileError({ path, reason: reasonOf(cause, "unwritable") })
      yield* Effect.tryPromise({
        try: async () => {
          await mkdir(dirname(path), { recursive: true, mode: 0o700 })
          await writeFile(temporary, `${generated}\n`, { mode: 0o600, flag: "wx" })
        },
        catch: unwritable
      })
      // Linked into place unless another process's key is there already (then that one is read).
      const linked = yield* Effect.exit(
        Effect.tryPromise({
          try: () => link(temporary, path),
          catch: (cause) => errnoCode(cause) === "EEXIST" ? Option.none() : Option.some(unwritable(cause))
        }).pipe(Effect.catchAll(Option.match({ onNone: () => Effect.void, onSome: Effect.fail })))
      )
      // The temporary file goes whatever the link did.
      yield* Effect.tryPromise({ try: () => unlink(temporary), catch: unwritable })
      yield* linked
      yield* Effect.logWarning(
        "generated a key for alert channels' secrets; set MIRAGE_CHANNEL_KEY on every gateway and node in production"
      ).pipe(Effect.annotateLogs({ key_file: path }))
      return yield* Effect.mapError(read, (failure) => new KeyFileError({ path, reason: failure.reason }))
    })
    return yield* Either.match(parseKey(text), {
      onLeft: (reason) => Effect.fail(new KeyFileError({ path, reason })),
      onRight: Effect.succeed
    })
  })

/** The cipher over MIRAGE_CHANNEL_KEY, or the key file's key; a bad key stops the process, naming the setting. */
export const layer = Layer.effect(
  ChannelCipher,
  Effect.gen(function*() {
    const configured = yield* channelKey
    if (Option.isSome(configured)) {
      const key = parseKey(Redacted.value(configured.value))
      if (Either.isLeft(key)) return yield* Effect.dieMessage(`MIRAGE_CHANNEL_KEY: ${key.left}`)
      return make(key.right)
    }
    const key = yield* Effect.orDieWith(
      keyFromFile(yield* channelKeyFile),
      (error) => new Error(`MIRAGE_CHANNEL_KEY_FILE ${error.path}: ${error.reason}`)
    )
    return make(key)
  })
)

/** A cipher over a given key (tests). */
export const layerWith = (key: Uint8Array) => Layer.succeed(ChannelCipher, make(key))
