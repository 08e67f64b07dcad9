/**
 * A minimal SMTP client (RFC 5321) for alert e-mails: EHLO, STARTTLS (RFC 3207) when required, optional AUTH
 * PLAIN, MAIL FROM, RCPT TO, DATA, QUIT, over plain TCP upgraded by STARTTLS, plain TCP, or TLS from the first byte.
 * Replies are read line by line; any unexpected code fails the send.
 */
import type { Duration } from "effect"
import { Data, Effect } from "effect"
import { connect as connectTcp, isIP } from "node:net"
import type { LookupFunction, Socket } from "node:net"
import { connect as connectTls, rootCertificates } from "node:tls"
import type { TLSSocket } from "node:tls"

export class SmtpFailed extends Data.TaggedError("SmtpFailed")<{
  readonly code: number | null
  /** What failed; never the password. */
  readonly reason: string
}> {}

export interface SmtpServer {
  readonly host: string
  readonly port: number
  /** TLS from the first byte (port 465). */
  readonly secure: boolean
  /** Without `secure`: upgrade with STARTTLS (required: no mail if the server does not offer it), or stay plain. */
  readonly tls: "starttls" | "none"
  /** A PEM CA trusted besides the system's. */
  readonly ca?: string | undefined
  readonly username?: string | undefined
  readonly password?: string | undefined
  /** How the host's name is resolved (the channel guard's, refusing addresses out of scope). */
  readonly lookup?: LookupFunction | undefined
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

interface Reply {
  readonly code: number
  readonly text: string
}

/**
 * Reads SMTP replies (possibly multi-line: `250-...` then `250 ...`) from a socket, until `detach` (STARTTLS
 * hands the socket to TLS, whose reader takes over).
 */
const replyReader = (socket: Socket) => {
  let buffer = ""
  const waiting: Array<(reply: Reply | Error) => void> = []
  const ready: Array<Reply | Error> = []
  let lines: Array<string> = []
  const push = (reply: Reply | Error) => {
    const next = waiting.shift()
    if (next === undefined) ready.push(reply)
    else next(reply)
  }
  const onData = (chunk: Buffer) => {
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
  }
  const onError = (error: Error) => push(error)
  const onClose = () => push(new Error("connection closed"))
  socket.on("data", onData)
  socket.on("error", onError)
  socket.on("close", onClose)
  return {
    next: () =>
      new Promise<Reply>((resolve, reject) => {
        const settle = (reply: Reply | Error) => reply instanceof Error ? reject(reply) : resolve(reply)
        const first = ready.shift()
        if (first !== undefined) settle(first)
        else waiting.push(settle)
      }),
    detach: () => {
      socket.off("data", onData)
      socket.off("error", onError)
      socket.off("close", onClose)
    }
  }
}

/** The trust of a TLS connection: the system's CAs, and the server's own CA when the channel names one. */
const trust = (server: SmtpServer) => (server.ca === undefined ? {} : { ca: [...rootCertificates, server.ca] })

/** TLS names are host names: an address literal is checked against the certificate's IP entries instead. */
const serverName = (host: string) => (isIP(host) === 0 ? { servername: host } : {})

/** The socket after STARTTLS: the same connection, now TLS, the server's certificate verified. */
const upgrade = (server: SmtpServer, socket: Socket) =>
  new Promise<TLSSocket>((resolve, reject) => {
    // The TLS socket reports the connection's errors from now on; the plain one must not throw unheard.
    socket.on("error", () => undefined)
    const secure = connectTls({ socket, host: server.host, ...serverName(server.host), ...trust(server) })
    secure.once("secureConnect", () => resolve(secure))
    secure.once("error", (error) => reject(new SmtpFailed({ code: null, reason: `TLS: ${error.message}` })))
  })

/** Whether the server's EHLO reply offers an extension (a `250-NAME` or `250 NAME` line). */
const offers = (ehlo: Reply, extension: string) =>
  ehlo.text.split("\n").some((line) => line.slice(4).trim().toUpperCase().split(" ")[0] === extension)

const conversation = async (server: SmtpServer, mail: Mail, connected: Socket, done: (socket: Socket) => void) => {
  let socket = connected
  let reader = replyReader(socket)
  const expect = async (step: string, codes: ReadonlyArray<number>) => {
    const reply = await reader.next()
    if (!codes.includes(reply.code)) throw new SmtpFailed({ code: reply.code, reason: `${step} refused` })
    return reply
  }
  const command = (line: string, step: string, codes: ReadonlyArray<number>) => {
    socket.write(`${line}\r\n`)
    return expect(step, codes)
  }
  await expect("greeting", [220])
  let ehlo = await command("EHLO mirage.local", "EHLO", [250])
  if (!server.secure && server.tls === "starttls") {
    // No downgrade: a server (or a man in the middle) that does not offer STARTTLS gets no password and no mail.
    if (!offers(ehlo, "STARTTLS")) throw new SmtpFailed({ code: null, reason: "the server does not offer STARTTLS" })
    await command("STARTTLS", "STARTTLS", [220])
    reader.detach()
    socket = await upgrade(server, socket)
    done(socket)
    reader = replyReader(socket)
    // What the server offered in clear does not count (RFC 3207): ask again.
    ehlo = await command("EHLO mirage.local", "EHLO", [250])
  }
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

/** Sends one mail; fails with SmtpFailed on any refusal, network or TLS error, or after `timeout`. */
export const send = (server: SmtpServer, mail: Mail, timeout: Duration.DurationInput = "15 seconds") =>
  Effect.async<void, SmtpFailed>((resume) => {
    const lookup = server.lookup === undefined ? {} : { lookup: server.lookup }
    let socket: Socket = server.secure
      ? connectTls({ host: server.host, port: server.port, ...serverName(server.host), ...trust(server), ...lookup })
      : connectTcp({ host: server.host, port: server.port, ...lookup })
    conversation(server, mail, socket, (upgraded) => {
      socket = upgraded
    }).then(
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
