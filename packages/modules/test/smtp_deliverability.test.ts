/** smtp_deliverability against a local DNS server and SMTP server: the conversation, its verdicts, and no DATA. */
import { describe, expect, it } from "@effect/vitest"
import { smtpDeliverability } from "@mirage/modules/modules/smtp_deliverability"
import * as DnsServer from "@mirage/testkit/DnsServer"
import * as SmtpServer from "@mirage/testkit/SmtpServer"
import { Effect } from "effect"
import { contextFor } from "./support.js"

const zone: DnsServer.Zone = {
  "example.test": {
    MX: [{ priority: 20, exchange: "backup-mx.example.test" }, { priority: 10, exchange: "mx.example.test" }]
  },
  "mx.example.test": { A: ["192.0.2.25"] },
  "backup-mx.example.test": { A: ["192.0.2.26"] }
}

const run = (smtp: SmtpServer.SmtpServer, email: string) =>
  Effect.gen(function*() {
    const dns = yield* DnsServer.make(zone)
    const { ctx } = yield* contextFor("smtp_deliverability", { dnsServers: [dns.address] })
    const session = yield* smtpDeliverability.open({
      port: smtp.port,
      address_map: { "192.0.2.25": smtp.host },
      only_mapped: true
    }, ctx)
    const findings = yield* session.collect({ target: { type: "EMAIL", value: email } })
    return { findings, notes: yield* ctx.notes.summary }
  })

describe("smtp_deliverability", () => {
  it.scoped("asks the lowest MX with a null sender: a known mailbox is deliverable; DATA is never sent", () =>
    Effect.gen(function*() {
      const smtp = yield* SmtpServer.make({ hostname: "mx.example.test", mailboxes: ["alice@example.test"] })
      const { findings } = yield* run(smtp, "alice@example.test")
      expect(findings).toHaveLength(1)
      expect(findings[0]).toMatchObject({ type: "EMAIL", value: "alice@example.test", enrichment: true })
      expect(findings[0]?.metadata).toEqual({
        smtp_verdict: "deliverable",
        catch_all: false,
        smtp_code: 250,
        smtp_reply: "2.1.5 Ok",
        mx: "mx.example.test"
      })
      const commands = smtp.commands()
      expect(commands.map((c) => c.split(/[ :]/)[0])).toEqual(["EHLO", "MAIL", "RCPT", "RCPT", "RSET", "QUIT"])
      expect(commands[1]).toBe("MAIL FROM:<>")
      expect(commands[2]).toBe("RCPT TO:<alice@example.test>")
      expect(commands.some((c) => c.toUpperCase().startsWith("DATA"))).toBe(false)
    }))

  it.scoped("an unknown mailbox is rejected; a catch-all server and greylisting prove nothing", () =>
    Effect.gen(function*() {
      const strict = yield* SmtpServer.make({ hostname: "mx.example.test", mailboxes: [] })
      expect((yield* run(strict, "bob@example.test")).findings[0]?.metadata).toMatchObject({
        smtp_verdict: "rejected",
        smtp_code: 550
      })
      const catchAll = yield* SmtpServer.make({ hostname: "mx.example.test", mailboxes: [], catchAll: true })
      const loose = (yield* run(catchAll, "bob@example.test")).findings[0]
      expect(loose?.metadata).toMatchObject({ smtp_verdict: "unknown", catch_all: true })
      expect(loose?.confidence).toBe(0.5)
      const grey = yield* SmtpServer.make({ hostname: "mx.example.test", mailboxes: [], greylist: true })
      expect((yield* run(grey, "bob@example.test")).findings[0]?.metadata).toMatchObject({
        smtp_verdict: "unknown",
        smtp_code: 450
      })
    }))

  it.scoped("a domain whose exchangers cannot be reached has no findings and says so", () =>
    Effect.gen(function*() {
      const smtp = yield* SmtpServer.make({ hostname: "mx.example.test", mailboxes: [] })
      const dns = yield* DnsServer.make(zone)
      const { ctx } = yield* contextFor("smtp_deliverability", { dnsServers: [dns.address] })
      const session = yield* smtpDeliverability.open({ port: smtp.port, address_map: {}, only_mapped: true }, ctx)
      expect(yield* session.collect({ target: { type: "EMAIL", value: "alice@example.test" } })).toEqual([])
      expect((yield* ctx.notes.summary).skip_reason).toBe("no mail exchanger answered")
      expect(smtp.commands()).toEqual([])
    }))
})
