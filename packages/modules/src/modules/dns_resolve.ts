/**
 * dns_resolve: a domain's addresses (A, AAAA) and the name its CNAME points to, asked of the
 * configured resolvers. A name that does not exist simply has no findings; a question that fails
 * while the others answered is a warning, their findings kept.
 */
import { Option, Schema } from "effect"
import { uniqueBy } from "../internal/Unique.js"
import { type Answer, dnsModule, type Question } from "../kinds/DnsSource.js"
import { finding } from "../Module.js"
import type { Finding } from "../Module.js"

export const DnsResolveConfig = Schema.Struct({
  ipv4: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  ipv6: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  cname: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})

const questionsFor = (name: string, config: typeof DnsResolveConfig.Type): ReadonlyArray<Question> => [
  ...(config.ipv4 ? [{ type: "A", name } as const] : []),
  ...(config.ipv6 ? [{ type: "AAAA", name } as const] : []),
  ...(config.cname ? [{ type: "CNAME", name } as const] : [])
]

export const extractFindings = (answers: ReadonlyArray<Answer>): ReadonlyArray<Finding> =>
  uniqueBy(
    answers.flatMap((answer) =>
      answer.type === "A" || answer.type === "AAAA" || answer.type === "CNAME"
        ? answer.records.flatMap((value) =>
          Option.toArray(finding(answer.type === "CNAME" ? "DOMAIN" : "IP", value, {
            confidence: 1,
            source_data: { name: answer.name, record: answer.type, value },
            metadata: { record_type: answer.type }
          }))
        )
        : []
    ),
    (found) => `${found.type}:${found.value}`
  )

export const dnsResolve = dnsModule({
  name: "dns_resolve",
  description: "Resolves a domain to its IPv4 and IPv6 addresses and its CNAME target",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["IP", "DOMAIN"],
  flags: ["active", "safe"],
  config: DnsResolveConfig,
  questions: (target, config) => questionsFor(target.value, config),
  findings: extractFindings
})
