/**
 * A minimal SMTP client (RFC 5321) for alert e-mails: EHLO, optional AUTH PLAIN, MAIL FROM, RCPT TO, DATA, QUIT,
 * over plain TCP or TLS from the first byte. Replies are read line by line; any unexpected code fails the send.
 */
import type { Duration } from "effect"
import { Data, Effect } from "effect"
import { connect as connectTcp } from "node:net"
import type { Socket } from "node:net"
import { connect as connectTls } from "node:tls"

export class SmtpFailed extends Data.TaggedError("SmtpFailed")<{
  readonly code: number | null
  /** What failed; never the password. */
  readonly reason: string
}> {}

export interface SmtpServer {
  readonly host: string
  readonly port: number
  readonly secure: boolean
  readonly username?: string | undefined
  readonly password?: string | undefined
}

export interface Mail {
  readonly from: string
  readonly to: ReadonlyArray<string>
  readonly subject: string
  readonly text: string
  readonly date: Date
  readonly message_id: string
}

/** A header value as an RFC 2047 encoded word when it is not plain ASCII. */
const headerText = (text: string) =>
  /^[\x20-\x7e]*$/.test(text) ? text : `=?UTF-8?B?${Buffer.from(text, "utf8").toString("base64")}?=`

/** The message (RFC 5322), CRLF line ends, with dot-stuffing for DATA. */
export const formatMessage = (mail: Mail): string => {
  const headers = [
    `From: ${mail.from}`,
    `To: ${mail.to.join(", ")}`,
    `Subject: ${headerText(mail.subject.replace(/[\r\n]+/g, " "))}`,
    `Date: ${mail.date.toUTCString().replace("GMT", "+0000")}`,
    `Message-ID: <${mail.message_id}>`,
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: 8bit"
  ]
  const body = mail.text.replace(/\r?\n/g, "\r\n").split("\r\n").map((
    line
  ) => (line.startsWith(".") ? `.${line}` : line))
  return [...headers, "", ...body].join("\r\n")
}

/** Reads SMTP replies (possibly multi-line: `250-...` then `250 ...`) from a socket. */
const replyReader = (socket: Socket) => {
  let buffer = ""
  const waiting: Array<(reply: { code: number; text: string } | Error) => void> = []
  const ready: Array<{ code: number; text: string } | Error> = []
  let lines: Array<string> = []
  const push = (reply: { code: number; text: string } | Error) => {
    const next = waiting.shift()
    if (next === undefined) ready.push(reply)
    else next(reply)
  }
  socket.on("data", (chunk: Buffer) => {
    buffer += chunk.toString("utf8")
    let end = buffer.indexOf("\r\n")
    while (end >= 0) {
      const line = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      lines.push(line)
      if (/^\d{3}( |$)/.test(line)) {
        push({ code: Number(line.slice(0, 3)), text: lines.join("\n") })
        lines = []
      } else if (!/^\d{3}-/.test(line)) {
        push(new Error("malformed reply"))
      }
      end = buffer.indexOf("\r\n")
    }
  })
  socket.on("error", (error) => push(error))
  socket.on("close", () => push(new Error("connection closed")))
  return () =>
    new Promise<{ code: number; text: string }>((resolve, reject) => {
      const settle = (reply: { code: number; text: string } | Error) =>
        reply instanceof Error ? reject(reply) : resolve(reply)
      const first = ready.shift()
      if (first !== undefined) settle(first)
      else waiting.push(settle)
    })
}

const conversation = async (server: SmtpServer, mail: Mail, socket: Socket) => {
  const next = replyReader(socket)
  const expect = async (step: string, codes: ReadonlyArray<number>) => {
    const reply = await next()
    if (!codes.includes(reply.code)) throw new SmtpFailed({ code: reply.code, reason: `${step} refused` })
    return reply
  }
  const command = (line: string, step: string, codes: ReadonlyArray<number>) => {
    socket.write(`${line}\r\n`)
    return expect(step, codes)
  }
  await expect("greeting", [220])
  await command("EHLO mirage.local", "EHLO", [250])
  if (server.username !== undefined && server.password !== undefined) {
    const token = Buffer.from(`\0${server.username}\0${server.password}`, "utf8").toString("base64")
    await command(`AUTH PLAIN ${token}`, "AUTH", [235])
  }
  await command(`MAIL FROM:<${mail.from}>`, "MAIL FROM", [250])
  for (const to of mail.to) await command(`RCPT TO:<${to}>`, `RCPT TO ${to}`, [250, 251])
  await command("DATA", "DATA", [354])
  await command(`${formatMessage(mail)}\r\n.`, "message", [250])
  await command("QUIT", "QUIT", [221])
}

/** Sends one mail; fails with SmtpFailed on any refusal, network error or after `timeout`. */
export const send = (server: SmtpServer, mail: Mail, timeout: Duration.DurationInput = "15 seconds") =>
  Effect.async<void, SmtpFailed>((resume) => {
    const socket: Socket = server.secure
      ? connectTls({ host: server.host, port: server.port, servername: server.host })
      : connectTcp({ host: server.host, port: server.port })
    conversation(server, mail, socket).then(
      () => resume(Effect.void),
      (error: unknown) =>
        resume(Effect.fail(
          error instanceof SmtpFailed
            ? error
            : new SmtpFailed({ code: null, reason: error instanceof Error ? error.message : "network failure" })
        ))
    ).finally(() => socket.destroy())
    return Effect.sync(() => socket.destroy())
  }).pipe(
    Effect.timeoutFail({ duration: timeout, onTimeout: () => new SmtpFailed({ code: null, reason: "timed out" }) })
  )
