/** The DNS-source kind against the fixture world's DNS server: questions answered, failures as warnings. */
import { describe, expect, it } from "@effect/vitest"
import { dnsModule } from "@mirage/modules/kinds/DnsSource"
import { NoConfig } from "@mirage/modules/kinds/PagedApi"
import { finding } from "@mirage/modules/Module"
import { Effect, Option } from "effect"
import { domainTarget, worldWithContext } from "../support.js"

const mailHosts = dnsModule({
  name: "example_mail_hosts",
  description: "The domain's mail exchangers and name servers",
  flags: ["active", "safe"],
  config: NoConfig,
  input_types: ["DOMAIN"],
  output_types: ["DOMAIN"],
  questions: (target) => [{ type: "MX", name: target.value }, { type: "NS", name: target.value }],
  findings: (answers) =>
    answers.flatMap((answer) =>
      answer.type === "MX"
        ? answer.records.flatMap((mx) => Option.toArray(finding("DOMAIN", mx.exchange, { confidence: 1 })))
        : answer.type === "NS"
        ? answer.records.flatMap((ns) => Option.toArray(finding("DOMAIN", ns, { confidence: 1 })))
        : []
    )
})

describe("dnsModule", () => {
  it.scoped("asks its questions through the context's resolvers and makes findings of the answers", () =>
    Effect.gen(function*() {
      const { ctx, world } = yield* worldWithContext("example_mail_hosts")
      const session = yield* mailHosts.open({}, ctx)
      const findings = yield* session.collect(domainTarget(world.domain))
      expect(findings.map((f) => f.value).sort()).toEqual(["mail.mirage-sandbox.test", "ns1.mirage-sandbox.test"])
      expect(world.dns.questions().map((q) => `${q.type} ${q.name}`).sort()).toEqual([
        "MX mirage-sandbox.test",
        "NS mirage-sandbox.test"
      ])
      expect(mailHosts.source.id).toBe("dns")
    }))
})
