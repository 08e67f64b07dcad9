/**
 * smtp_deliverability: whether a mailbox exists, asked of its domain's mail exchanger without sending mail — the MX
 * records (lowest preference first), then an SMTP conversation on port 25: EHLO, `MAIL FROM:<>`, `RCPT TO:<address>`,
 * the same for a random address of the domain (a server that accepts both is catch-all and proves nothing), RSET,
 * QUIT. DATA is never sent. The verdict (deliverable, rejected, unknown on 4xx greylisting) enriches the EMAIL.
 * Active: it talks to the target's mail server, through the scope guard.
 */
import { Effect, Option, Random, Schema } from "effect"
import { Socket } from "node:net"
import { addressMapFields, connectAddress } from "../internal/AddressMap.js"
import { addressesOf } from "../internal/Dns.js"
import { defineModule, type Finding, finding, targetValue } from "../Module.js"

export const SmtpConfig = Schema.Struct({
  port: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 65535)), { default: () => 25, exact: true }),
  /** The name this client gives in EHLO. */
  helo: Schema.optionalWith(Schema.String.pipe(Schema.pattern(/^[a-z0-9.-]{1,253}$/i)), {
    default: () => "mirage.invalid",
    exact: true
  }),
  timeout_ms: Schema.optionalWith(Schema.Int.pipe(Schema.between(500, 60_000)), { default: () => 10_000, exact: true }),
  ...addressMapFields
})
export type SmtpConfig = typeof SmtpConfig.Type

export interface Reply {
  readonly code: number
  readonly text: string
}

/**
 * Reads the greeting, then sends each command after the previous reply, stopping at the first 5xx/4xx to the
 * greeting or EHLO; the replies in order (fewer when the server hung up or the time ran out).
 */
export const converse = (
  host: string,
  port: number,
  commands: ReadonlyArray<string>,
  timeoutMs: number
): Effect.Effect<ReadonlyArray<Reply>> =>
  Effect.async<ReadonlyArray<Reply>>((resume) => {
    const replies: Array<Reply> = []
    let lines: Array<string> = []
    let buffer = ""
    let done = false
    const socket = new Socket()
    const finish = () => {
      if (done) return
      done = true
      socket.destroy()
      resume(Effect.succeed(replies))
    }
    socket.setEncoding("utf8")
    socket.on("data", (chunk: string) => {
      buffer += chunk
      let at: number
      while ((at = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, at).replace(/\r$/, "")
        buffer = buffer.slice(at + 1)
        lines.push(line.slice(4))
        // "250-" continues a reply, "250 " ends it.
        if (/^\d{3}-/.test(line)) continue
        replies.push({ code: Number(line.slice(0, 3)), text: lines.join(" ").trim() })
        lines = []
        const next = commands[replies.length - 1]
        const opening = replies.length <= 2
        if (next === undefined || (opening && replies[replies.length - 1]!.code >= 400)) return finish()
        socket.write(`${next}\r\n`)
      }
    })
    socket.once("error", finish)
    socket.once("close", finish)
    socket.connect(port, host)
    return Effect.sync(() => socket.destroy())
  }).pipe(Effect.timeoutTo({ duration: timeoutMs, onTimeout: () => [], onSuccess: (replies) => replies }))

export type Verdict = "deliverable" | "rejected" | "unknown"

const verdictOf = (reply: Reply | undefined): Verdict =>
  reply === undefined ? "unknown" : reply.code >= 200 && reply.code < 300 ? "deliverable" : reply.code >= 500
    ? "rejected"
    : "unknown"

export const deliverabilityFinding = (
  email: string,
  mx: string,
  replies: ReadonlyArray<Reply>
): Option.Option<Finding> => {
  // greeting, EHLO, MAIL, RCPT (the address), RCPT (the random one), RSET, QUIT
  const rcpt = replies[3]
  const probe = replies[4]
  const verdict = verdictOf(rcpt)
  const catchAll = verdict === "deliverable" && verdictOf(probe) === "deliverable"
  return Option.map(
    finding("EMAIL", email, {
      confidence: verdict === "unknown" || catchAll ? 0.5 : 0.9,
      metadata: {
        smtp_verdict: catchAll ? "unknown" : verdict,
        catch_all: catchAll,
        smtp_code: rcpt?.code ?? null,
        smtp_reply: rcpt?.text ?? null,
        mx
      }
    }),
    (found) => ({ ...found, enrichment: true })
  )
}

export const smtpDeliverability = defineModule({
  name: "smtp_deliverability",
  title: "SMTP mailbox check",
  description: "Asks an address's mail exchanger whether the mailbox exists (RCPT TO), without sending mail",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["EMAIL"],
  output_types: ["EMAIL"],
  flags: ["active", "safe"],
  configSchema: SmtpConfig,
  source: {
    id: "smtp",
    name: "Targets' mail exchangers (SMTP)",
    rateLimit: { requests: 2, perSeconds: 1, burst: 2 },
    requiresKey: false,
    proxy: false
  },
  setup: (config, ctx) => Effect.succeed({ config, dns: ctx.dns, log: ctx.log, notes: ctx.notes, guard: ctx.guard }),
  collect: (session, task) =>
    Effect.gen(function*() {
      const email = yield* targetValue("smtp_deliverability", task, "EMAIL")
      const domain = email.slice(email.lastIndexOf("@") + 1)
      const mxs = yield* session.dns.resolveMx(domain).pipe(Effect.orElseSucceed(() => []))
      const exchangers = [...mxs].sort((a, b) => a.priority - b.priority).map((mx) => mx.exchange)
      // No MX: RFC 5321 falls back to the domain's own address.
      for (const mx of exchangers.length === 0 ? [domain] : exchangers) {
        const { addresses } = yield* addressesOf(session.dns, mx)
        const host = addresses.map((ip) => connectAddress(session.config, ip)).find(Option.isSome)
        if (host === undefined) continue
        if (session.guard !== undefined) yield* session.guard.check("smtp_deliverability", host.value)
        const probe = `mirage-${(yield* Random.nextIntBetween(100_000, 999_999)).toString(36)}@${domain}`
        const replies = yield* converse(host.value, session.config.port, [
          `EHLO ${session.config.helo}`,
          "MAIL FROM:<>",
          `RCPT TO:<${email}>`,
          `RCPT TO:<${probe}>`,
          "RSET",
          "QUIT"
        ], session.config.timeout_ms)
        yield* session.log("smtp_deliverability asked", { mx, replies: replies.length })
        if (replies.length < 4) continue
        return Option.toArray(deliverabilityFinding(email, mx, replies))
      }
      yield* session.notes.skipped("no mail exchanger answered")
      return []
    })
})
