/**
 * emailrep: what EmailRep knows of an address (`GET {base}/{email}`, optional key in `Key`, a user
 * agent required): its `reputation` (high/medium/low/none), `suspicious`, how many `references` it
 * has on the web, and `details` — blacklisting, malicious activity, leaked credentials, breaches,
 * first/last seen, the services it has `profiles` on (names only: no user names or links), and facts
 * of its domain (age, reputation, SPF/DMARC, MX, spoofable). Those are reported on the address's
 * domain, a DOMAIN finding, unless it is a free or disposable mail provider's. 400 `invalid email`
 * is nothing to say; errors come as `{"status": "fail", "reason"}`.
 */
import { Option, Schema } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })
const flag = optional(Schema.Boolean)

export const EmailrepAnswer = Schema.Struct({
  email: Schema.String,
  reputation: optional(Schema.String),
  suspicious: flag,
  references: optional(Schema.Number),
  details: Schema.Struct({
    blacklisted: flag,
    malicious_activity: flag,
    malicious_activity_recent: flag,
    credentials_leaked: flag,
    credentials_leaked_recent: flag,
    data_breach: flag,
    first_seen: optional(Schema.String),
    last_seen: optional(Schema.String),
    domain_exists: flag,
    domain_reputation: optional(Schema.String),
    new_domain: flag,
    days_since_domain_creation: optional(Schema.Number),
    suspicious_tld: flag,
    spam: flag,
    free_provider: flag,
    disposable: flag,
    deliverable: flag,
    valid_mx: flag,
    spoofable: flag,
    spf_strict: flag,
    dmarc_enforced: flag,
    profiles: optional(Schema.Array(Schema.String))
  })
})
export type EmailrepAnswer = typeof EmailrepAnswer.Type

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== "never"))

export const reputationFindings = (answers: ReadonlyArray<EmailrepAnswer>, email: string): ReadonlyArray<Finding> =>
  answers.flatMap((answer) => {
    const d = answer.details
    if (d.free_provider === true || d.disposable === true) return []
    const domain = email.slice(email.lastIndexOf("@") + 1)
    return Option.toArray(finding("DOMAIN", domain, {
      confidence: d.domain_exists === false ? 0.4 : 0.8,
      metadata: present({
        email,
        role: "domain of the address",
        address_reputation: present({
          reputation: answer.reputation,
          suspicious: answer.suspicious,
          references: answer.references,
          blacklisted: d.blacklisted,
          malicious_activity: d.malicious_activity,
          malicious_activity_recent: d.malicious_activity_recent,
          credentials_leaked: d.credentials_leaked,
          credentials_leaked_recent: d.credentials_leaked_recent,
          data_breach: d.data_breach,
          spam: d.spam,
          deliverable: d.deliverable,
          first_seen: d.first_seen,
          last_seen: d.last_seen,
          profiles: d.profiles ?? undefined
        }),
        domain_exists: d.domain_exists,
        domain_reputation: d.domain_reputation,
        new_domain: d.new_domain,
        days_since_domain_creation: d.days_since_domain_creation,
        suspicious_tld: d.suspicious_tld,
        valid_mx: d.valid_mx,
        spoofable: d.spoofable,
        spf_strict: d.spf_strict,
        dmarc_enforced: d.dmarc_enforced
      })
    }))
  })

export const emailrep = pagedApi({
  name: "emailrep",
  title: "EmailRep reputation",
  description:
    "Finds an address's reputation (blacklisting, leaks, profiles) and its domain's mail security via EmailRep",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["EMAIL"],
  output_types: ["DOMAIN"],
  source: {
    id: "emailrep",
    name: "EmailRep",
    baseUrl: "https://emailrep.io",
    // Daily and monthly quotas by plan (a handful a day without a key); no per-second figure. One every two seconds.
    rateLimit: { requests: 1, perSeconds: 2, burst: 2 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("key"),
  format: Formats.json,
  request: (target) => ({
    path: `/${encodeURIComponent(target.value).replace("%40", "@")}`,
    headers: { "user-agent": "Mirage-OSINT-Platform" }
  }),
  empty: [400],
  rows: (body) => [body],
  row: EmailrepAnswer,
  findings: (answers, target) => reputationFindings(answers, target.value)
})
