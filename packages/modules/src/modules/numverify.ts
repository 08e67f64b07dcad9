/**
 * numverify: what apilayer's number verification knows of a phone number (`GET {base}/api/validate?
 * access_key=…&number={digits}`): whether it is `valid`, its local and international formats, its
 * country, the `location` it was assigned to, its `carrier` and `line_type` (mobile, landline…). The
 * carrier is an ORGANIZATION; the rest is reported on the number itself, an enrichment of the PHONE.
 * Errors come as HTTP 200 `{"success": false, "error": {"code", "type", "info"}}`: 101 is a bad
 * key, 104 (monthly quota) and 106 (rate limit) are limits, anything else a bad answer.
 */
import { Option, Predicate, Schema } from "effect"
import { NoConfig, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { AuthFailed, BadResponse, type Finding, finding, type ModuleError, RateLimited } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const NumverifyAnswer = Schema.Struct({
  valid: Schema.Boolean,
  number: optional(Schema.String),
  local_format: optional(Schema.String),
  international_format: optional(Schema.String),
  country_prefix: optional(Schema.String),
  country_code: optional(Schema.String),
  country_name: optional(Schema.String),
  location: optional(Schema.String),
  carrier: optional(Schema.String),
  line_type: optional(Schema.String)
})
export type NumverifyAnswer = typeof NumverifyAnswer.Type

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ""))

/** The error apilayer wrote in a 200 answer, as the module error its code means. */
export const numverifyRefusal = (body: unknown): Option.Option<ModuleError> => {
  if (!Predicate.isRecord(body) || body["success"] !== false) return Option.none()
  const code = Rows.at(body, "error.code")
  const reason = `numverify refused: ${String(code)} ${String(Rows.at(body, "error.type") ?? "")}`.trim()
  if (code === 101) return Option.some(new AuthFailed({ reason }))
  if (code === 104 || code === 106) return Option.some(new RateLimited({ reason }))
  return Option.some(new BadResponse({ reason }))
}

export const numverifyFindings = (answers: ReadonlyArray<NumverifyAnswer>, phone: string): ReadonlyArray<Finding> =>
  answers.flatMap((answer) => {
    const carrier = (answer.carrier ?? "").trim()
    const classified = Option.map(
      finding("PHONE", phone, {
        confidence: answer.valid ? 0.9 : 0.3,
        metadata: present({
          valid: answer.valid,
          line_type: answer.line_type,
          country_code: answer.country_code,
          country_name: answer.country_name,
          country_prefix: answer.country_prefix,
          location: answer.location,
          carrier: carrier === "" ? undefined : carrier,
          local_format: answer.local_format,
          international_format: answer.international_format
        })
      }),
      (found): Finding => ({ ...found, enrichment: true })
    )
    const operator = carrier === "" || !answer.valid
      ? Option.none()
      : finding("ORGANIZATION", carrier, {
        confidence: 0.7,
        metadata: present({ phone, role: "carrier", line_type: answer.line_type, country_code: answer.country_code })
      })
    return [...Option.toArray(classified), ...Option.toArray(operator)]
  })

export const numverify = pagedApi({
  name: "numverify",
  title: "numverify phone validation",
  description: "Finds a phone number's carrier, line type, country and location via apilayer's numverify",
  flags: ["passive", "safe"],
  config: NoConfig,
  input_types: ["PHONE"],
  output_types: ["PHONE", "ORGANIZATION"],
  source: {
    id: "numverify",
    name: "numverify (apilayer)",
    baseUrl: "http://apilayer.net",
    // Monthly quotas by plan (100 on the free one); no per-second figure. One a second.
    rateLimit: { requests: 1, perSeconds: 1, burst: 2 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.query("access_key"),
  format: Formats.json,
  request: (target) => ({ path: "/api/validate", query: { number: target.value.replace(/\D/g, "") } }),
  refusal: numverifyRefusal,
  rows: (body) => [body],
  row: NumverifyAnswer,
  findings: (answers, target) => numverifyFindings(answers, target.value)
})
