/**
 * The receivers of alert channels, on 127.0.0.1: Slack, Microsoft Teams and Discord incoming webhooks, the
 * Telegram Bot API's sendMessage and an SMTP server. Each checks the documented shape of what it receives and
 * answers as the real service does when the shape is wrong; what it accepts is kept for the test to read.
 */
import { Effect } from "effect"
import type { Scope } from "effect"
import { createServer } from "node:net"
import type { Socket } from "node:net"
import { createSecureContext, TLSSocket } from "node:tls"
import * as HttpFixture from "./HttpFixture.js"
import * as TlsServer from "./TlsServer.js"

export interface Receiver<A> {
  readonly url: string
  /** Each message once: a repeat of an `Idempotency-Key` already accepted is answered but not kept again. */
  readonly accepted: () => ReadonlyArray<A>
  readonly refused: () => number
  /** Messages received again under an `Idempotency-Key` already accepted. */
  readonly repeats: () => number
}

type Json = Record<string, unknown>

const parse = (body: string): Json | undefined => {
  try {
    const value: unknown = JSON.parse(body)
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value as Json : undefined
  } catch {
    return undefined
  }
}

const isString = (value: unknown, max: number): value is string =>
  typeof value === "string" && value.length > 0 && value.length <= max

const receiver = <A>(
  path: RegExp,
  check: (body: Json) => A | undefined,
  ok: HttpFixture.FixtureResponse,
  refusal: HttpFixture.FixtureResponse
): Effect.Effect<Receiver<A>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const accepted: Array<A> = []
    const keys = new Set<string>()
    let refused = 0
    let repeats = 0
    const fixture = yield* HttpFixture.make("https://receiver.invalid", (request) => {
      const key = request.headers["idempotency-key"]
      if (typeof key === "string" && keys.has(key)) {
        repeats++
        return ok
      }
      const body = parse(request.body)
      const checked = request.method === "POST" && path.test(request.url.pathname) &&
          request.headers["content-type"]?.startsWith("application/json") === true && body !== undefined
        ? check(body)
        : undefined
      if (checked === undefined) {
        refused++
        return refusal
      }
      accepted.push(checked)
      if (typeof key === "string") keys.add(key)
      return ok
    })
    return { url: fixture.url, accepted: () => accepted, refused: () => refused, repeats: () => repeats }
  })

/** Slack: `text` (required fallback), `blocks` of known types; answers `ok`, or 400 `invalid_blocks`. */
export const slack = receiver(
  /^\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+$/,
  (body) => {
    const blocks = body["blocks"]
    if (!isString(body["text"], 40_000) || !Array.isArray(blocks) || blocks.length > 50) return undefined
    const valid = blocks.every((block: Json) =>
      (block["type"] === "header" && isString((block["text"] as Json | undefined)?.["text"], 150)) ||
      (block["type"] === "section" && isString((block["text"] as Json | undefined)?.["text"], 3000))
    )
    return valid ? body : undefined
  },
  HttpFixture.text("ok"),
  HttpFixture.text("invalid_blocks", 400)
)

/** Teams (Workflows webhook): a `message` with one Adaptive Card attachment; answers 202. */
export const teams = receiver(
  /^\/workflows\/[A-Za-z0-9]+\/triggers\/manual\/paths\/invoke$/,
  (body) => {
    const attachments = body["attachments"]
    if (body["type"] !== "message" || !Array.isArray(attachments) || attachments.length !== 1) return undefined
    const attachment = attachments[0] as Json
    const card = attachment["content"] as Json | undefined
    return attachment["contentType"] === "application/vnd.microsoft.card.adaptive" &&
        card?.["type"] === "AdaptiveCard" &&
        typeof card["version"] === "string" && Array.isArray(card["body"]) &&
        card["body"].every((element: Json) => element["type"] === "TextBlock" && isString(element["text"], 10_000))
      ? body
      : undefined
  },
  { status: 202 },
  HttpFixture.json({ error: { code: "InvalidRequestContent" } }, 400)
)

/** Discord: `content` ≤ 2000 and/or up to 10 embeds (title ≤ 256, description ≤ 4096); answers 204. */
export const discord = receiver(
  /^\/api\/webhooks\/\d+\/[A-Za-z0-9_-]+$/,
  (body) => {
    const embeds = body["embeds"]
    const content = body["content"]
    if (content !== undefined && !isString(content, 2000)) return undefined
    if (embeds !== undefined && (!Array.isArray(embeds) || embeds.length > 10)) return undefined
    if (content === undefined && embeds === undefined) return undefined
    const valid = ((embeds ?? []) as Array<Json>).every((embed) =>
      isString(embed["title"], 256) && (embed["description"] === undefined || isString(embed["description"], 4096))
    )
    return valid ? body : undefined
  },
  { status: 204 },
  HttpFixture.json({ code: 50006, message: "Cannot send an empty message" }, 400)
)

/** Telegram: `POST /bot<token>/sendMessage` with `chat_id` and `text` (≤ 4096) for the one valid token. */
export const telegram = (token: string) =>
  receiver(
    new RegExp(`^/bot${token.replace(/[^A-Za-z0-9:_-]/g, "")}/sendMessage$`),
    (body) =>
      (typeof body["chat_id"] === "string" || typeof body["chat_id"] === "number") && isString(body["text"], 4096)
        ? body
        : undefined,
    HttpFixture.json({ ok: true, result: { message_id: 1, chat: { id: -1 }, date: 0, text: "" } }),
    HttpFixture.json({ ok: false, error_code: 401, description: "Unauthorized" }, 401)
  )

export interface ReceivedMail {
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly data: string
  readonly authenticated: boolean
  /** Whether the mail came over the connection upgraded by STARTTLS. */
  readonly tls: boolean
}

export interface SmtpOptions {
  /**
   * Offer STARTTLS with the test-only certificate for `*.mirage-sandbox.test` (see TlsServer); with `required`,
   * refuse AUTH and MAIL before it, as a submission server does.
   */
  readonly starttls?: "offered" | "required"
}

/**
 * An SMTP server (EHLO, STARTTLS when told, AUTH PLAIN with the one valid login, MAIL, RCPT, DATA, QUIT) keeping
 * what it receives.
 */
export const smtp = (
  login: { readonly username: string; readonly password: string } | undefined,
  options: SmtpOptions = {}
) =>
  Effect.gen(function*() {
    const received: Array<ReceivedMail> = []
    let refused = 0
    const context = options.starttls === undefined
      ? undefined
      : createSecureContext({ cert: TlsServer.certificatePem(), key: TlsServer.keyPem() })
    const server = createServer((raw) => {
      let socket: Socket = raw
      let buffer = ""
      let from = ""
      let to: Array<string> = []
      let inData = false
      let authenticated = false
      let tls = false
      const reply = (line: string) => socket.write(`${line}\r\n`)
      const tlsFirst = () => options.starttls === "required" && !tls
      const extensions = () => [
        "mail.fixture",
        ...(context !== undefined && !tls ? ["STARTTLS"] : []),
        "AUTH PLAIN",
        "8BITMIME"
      ]
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString("utf8")
        while (true) {
          if (inData) {
            const end = buffer.indexOf("\r\n.\r\n")
            if (end < 0) return
            const data = buffer.slice(0, end).split("\r\n").map((line) => line.startsWith("..") ? line.slice(1) : line)
            buffer = buffer.slice(end + 5)
            inData = false
            received.push({ from, to, data: data.join("\r\n"), authenticated, tls })
            reply("250 2.0.0 queued")
            continue
          }
          const end = buffer.indexOf("\r\n")
          if (end < 0) return
          const line = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const verb = line.split(" ")[0]!.toUpperCase()
          if (verb === "EHLO") {
            const offered = extensions()
            reply(offered.map((name, i) => `250${i === offered.length - 1 ? " " : "-"}${name}`).join("\r\n"))
          } else if (verb === "STARTTLS" && context !== undefined && !tls) {
            reply("220 2.0.0 Ready to start TLS")
            socket.off("data", onData)
            buffer = ""
            const secure = new TLSSocket(raw, { isServer: true, secureContext: context })
            secure.on("error", () => undefined)
            secure.on("secure", () => {
              tls = true
              authenticated = false
            })
            secure.on("data", onData)
            socket = secure
          } else if ((verb === "AUTH" || verb === "MAIL") && tlsFirst()) {
            refused++
            reply("530 5.7.0 Must issue a STARTTLS command first")
          } else if (verb === "AUTH") {
            const [, , token = ""] = line.split(" ")
            const [, user, pass] = Buffer.from(token, "base64").toString("utf8").split("\0")
            authenticated = login !== undefined && user === login.username && pass === login.password
            if (authenticated) reply("235 2.7.0 Authentication successful")
            else {
              refused++
              reply("535 5.7.8 Authentication credentials invalid")
            }
          } else if (verb === "MAIL") {
            if (login !== undefined && !authenticated) {
              refused++
              reply("530 5.7.0 Authentication required")
            } else {
              from = /<([^>]*)>/.exec(line)?.[1] ?? ""
              to = []
              reply("250 2.1.0 Ok")
            }
          } else if (verb === "RCPT") {
            to.push(/<([^>]*)>/.exec(line)?.[1] ?? "")
            reply("250 2.1.5 Ok")
          } else if (verb === "DATA") {
            inData = true
            reply("354 End data with <CR><LF>.<CR><LF>")
          } else if (verb === "QUIT") {
            reply("221 2.0.0 Bye")
            socket.end()
          } else reply("502 5.5.2 Command not recognized")
        }
      }
      reply("220 mail.fixture ESMTP")
      raw.on("data", onData)
      raw.on("error", () => undefined)
    })
    yield* Effect.acquireRelease(
      Effect.async<void>((resume) => {
        server.listen(0, "127.0.0.1", () => resume(Effect.void))
      }),
      () => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
    )
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    return { host: "127.0.0.1", port, received: () => received, refused: () => refused }
  })
