/**
 * Alert e-mail over SMTP with STARTTLS, against a fixture server on 127.0.0.1 that offers it with the test-only
 * self-signed certificate for `*.mirage-sandbox.test` (its name resolved through the channel guard's lookup): the
 * mail goes over TLS when the channel trusts that CA, and never in clear when STARTTLS is required but not offered
 * or the certificate is not trusted.
 */
import { describe, expect, it } from "@effect/vitest"
import { guardedLookup } from "@mirage/runtime/collection/ScopeGuard"
import * as Smtp from "@mirage/runtime/monitoring/alerts/Smtp"
import type { SmtpServer } from "@mirage/runtime/monitoring/alerts/Smtp"
import * as AlertReceivers from "@mirage/testkit/AlertReceivers"
import * as ChannelPorts from "@mirage/testkit/ChannelPorts"
import * as TlsServer from "@mirage/testkit/TlsServer"
import { Effect } from "effect"

const login = { username: "alerts", password: "smtp-pa55word" }

const mail: Smtp.Mail = {
  from: "mirage@example.org",
  to: ["soc@example.org"],
  subject: "[HIGH] new subdomain: 1 new on example.com",
  text: "DOMAIN dev.example.com\n.a line starting with a dot",
  date: new Date(1_700_000_000_000),
  message_id: "alert.channel@mirage"
}

const lookup = guardedLookup(
  ChannelPorts.loopbackOnly,
  ChannelPorts.resolver({ "smtp.mirage-sandbox.test": ["127.0.0.1"] })
)

const serverAt = (port: number, options: Partial<SmtpServer> = {}): SmtpServer => ({
  host: "smtp.mirage-sandbox.test",
  port,
  secure: false,
  tls: "starttls",
  ca: TlsServer.certificatePem(),
  ...login,
  lookup,
  ...options
})

describe("Smtp", () => {
  it.scoped("upgrades with STARTTLS, verifies the server against the channel's CA, then authenticates", () =>
    Effect.gen(function*() {
      const fixture = yield* AlertReceivers.smtp(login, { starttls: "required" })
      yield* Smtp.send(serverAt(fixture.port), mail)
      const received = fixture.received()
      expect(received.map((each) => [each.tls, each.authenticated, each.to])).toEqual([[true, true, mail.to]])
      expect(received[0]!.data).toContain("Subject: [HIGH] new subdomain")
      expect(received[0]!.data).toContain("\r\n.a line starting with a dot")
      expect(fixture.refused()).toBe(0)
    }))

  it.scoped("refuses to send when STARTTLS is required but not offered: no password, no mail in clear", () =>
    Effect.gen(function*() {
      const fixture = yield* AlertReceivers.smtp(login)
      const error = yield* Effect.flip(Smtp.send(serverAt(fixture.port), mail))
      expect(error.reason).toBe("the server does not offer STARTTLS")
      expect(fixture.received()).toEqual([])
    }))

  it.scoped("refuses a certificate the system does not trust when the channel names no CA", () =>
    Effect.gen(function*() {
      const fixture = yield* AlertReceivers.smtp(login, { starttls: "offered" })
      const error = yield* Effect.flip(Smtp.send(serverAt(fixture.port, { ca: undefined }), mail))
      expect(error.reason).toMatch(/^TLS: .*(self.signed|certificate)/i)
      expect(fixture.received()).toEqual([])
    }))

  it.scoped("refuses a certificate that does not name the host", () =>
    Effect.gen(function*() {
      const fixture = yield* AlertReceivers.smtp(login, { starttls: "offered" })
      const error = yield* Effect.flip(Smtp.send(serverAt(fixture.port, { host: "127.0.0.1" }), mail))
      expect(error.reason).toMatch(/^TLS: /)
      expect(fixture.received()).toEqual([])
    }))

  it.scoped("with tls none, speaks plain SMTP (a server requiring STARTTLS refuses it)", () =>
    Effect.gen(function*() {
      const plain = yield* AlertReceivers.smtp(login)
      yield* Smtp.send(serverAt(plain.port, { tls: "none" }), mail)
      expect(plain.received().map((each) => [each.tls, each.authenticated])).toEqual([[false, true]])
      const strict = yield* AlertReceivers.smtp(login, { starttls: "required" })
      const error = yield* Effect.flip(Smtp.send(serverAt(strict.port, { tls: "none" }), mail))
      expect([error.code, error.reason]).toEqual([530, "AUTH refused"])
    }))

  it.scoped("resolves the host through the guard: a name resolving out of scope is not connected to", () =>
    Effect.gen(function*() {
      const fixture = yield* AlertReceivers.smtp(login, { starttls: "offered" })
      const refusing = guardedLookup(
        ChannelPorts.loopbackOnly,
        ChannelPorts.resolver({ "smtp.mirage-sandbox.test": ["10.0.0.25"] })
      )
      const error = yield* Effect.flip(Smtp.send(serverAt(fixture.port, { lookup: refusing }), mail))
      expect(error.reason).toContain("10.0.0.25 is private")
      expect(fixture.received()).toEqual([])
    }))
})
