/**
 * hunter_io: the addresses Hunter found published for a domain (`GET {base}/v2/domain-search?
 * domain=&limit=100&offset=n`, key in `api_key`): `data.emails[]`, each with Hunter's confidence
 * score (0–100), the pages it was seen on, the person's name, position and phone number when known,
 * and `data.organization` the company behind the domain. Paged by offset while `meta.results` has
 * more. Errors come as `{"errors": [{"id", "code", "details"}]}` with the HTTP status.
 */
import { Option, Schema } from "effect"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"
import { inScope } from "../Scope.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const HunterEmail = Schema.Struct({
  value: Schema.String.pipe(Schema.minLength(3)),
  type: optional(Schema.String),
  confidence: optional(Schema.Number),
  first_name: optional(Schema.String),
  last_name: optional(Schema.String),
  position: optional(Schema.String),
  department: optional(Schema.String),
  phone_number: optional(Schema.String),
  linkedin: optional(Schema.String),
  twitter: optional(Schema.String),
  sources: optional(
    Schema.Array(Schema.Struct({ uri: optional(Schema.String), last_seen_on: optional(Schema.String) }))
  ),
  verification: optional(Schema.Struct({ status: optional(Schema.String), date: optional(Schema.String) }))
})
export type HunterEmail = typeof HunterEmail.Type

/** A page's company, repeated as a row of its own so findings see it beside the addresses. */
export const HunterCompany = Schema.Struct({
  organization: Schema.String.pipe(Schema.minLength(1)),
  pattern: optional(Schema.String),
  country: optional(Schema.String)
})

const HunterRow = Schema.Union(HunterEmail, HunterCompany)
type HunterRow = typeof HunterRow.Type

/** Addresses per request: Hunter's most. */
const limit = 100

export const HunterConfig = Schema.Struct({
  /** Pages of 100 addresses fetched at most; each page is one search of the plan's monthly quota. */
  max_pages: maxPagesField(1, 20)
})

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ""))

const domainOf = (email: string) => email.slice(email.lastIndexOf("@") + 1).toLowerCase()

export const hunterFindings = (rows: ReadonlyArray<HunterRow>, domain: string): ReadonlyArray<Finding> => {
  const found = new Map<string, Finding>()
  const add = (item: Option.Option<Finding>) => {
    for (const one of Option.toArray(item)) {
      if (!found.has(`${one.type} ${one.value}`)) found.set(`${one.type} ${one.value}`, one)
    }
  }
  for (const row of rows) {
    if ("organization" in row) {
      add(finding("ORGANIZATION", row.organization, {
        confidence: 0.7,
        metadata: present({ domain, email_pattern: row.pattern, country: row.country, role: "domain owner" })
      }))
      continue
    }
    // Hunter lists the domain's addresses; one of another domain is not the target's.
    if (!inScope(domainOf(row.value), domain)) continue
    const person = present({
      first_name: row.first_name,
      last_name: row.last_name,
      position: row.position,
      department: row.department
    })
    add(finding("EMAIL", row.value, {
      confidence: (row.confidence ?? 50) / 100,
      metadata: present({
        ...person,
        email_type: row.type,
        verification: row.verification?.status,
        sources: row.sources?.length,
        seen_on: row.sources?.flatMap((source) => (source.uri === undefined ? [] : [source.uri])).slice(0, 5),
        linkedin: row.linkedin,
        twitter: row.twitter
      })
    }))
    if (row.phone_number !== undefined) {
      add(finding("PHONE", row.phone_number, { confidence: 0.6, metadata: present({ ...person, email: row.value }) }))
    }
  }
  return Array.from(found.values())
}

const count = (body: unknown, path: string) => {
  const value = Rows.at(body, path)
  return typeof value === "number" ? value : Number.NaN
}

export const hunterIo = pagedApi({
  name: "hunter_io",
  title: "Hunter domain search",
  description: "Finds the published email addresses (and their people) of a domain via Hunter",
  flags: ["passive", "safe"],
  config: HunterConfig,
  input_types: ["DOMAIN"],
  output_types: ["EMAIL", "PHONE", "ORGANIZATION"],
  source: {
    id: "hunter_io",
    name: "Hunter",
    baseUrl: "https://api.hunter.io",
    // Domain search: 15 requests a second and 500 a minute.
    rateLimit: { requests: 500, perSeconds: 60, burst: 15 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.query("api_key"),
  format: Formats.json,
  request: (target) => ({ path: "/v2/domain-search", query: { domain: target.value, limit, offset: 0 } }),
  rows: (body) => {
    const emails = Rows.at(body, "data.emails")
    if (!Array.isArray(emails)) return undefined
    const organization = Rows.at(body, "data.organization")
    const company = typeof organization === "string" && organization !== ""
      ? [Object.fromEntries(
        Object.entries({ organization, pattern: Rows.at(body, "data.pattern"), country: Rows.at(body, "data.country") })
          .filter(([, value]) => value !== undefined)
      )]
      : []
    return [...company, ...emails]
  },
  row: HunterRow,
  paging: {
    next: (page) => {
      const [offset, results] = [count(page.body, "meta.offset"), count(page.body, "meta.results")]
      const next = (Number.isFinite(offset) ? offset : page.index * limit) + limit
      return page.size > 0 && Number.isFinite(results) && next < results
        ? Option.some({ _tag: "Query", query: { offset: next } })
        : Option.none()
    }
  },
  maxPages: (config) => config.max_pages,
  findings: (rows, target) => hunterFindings(rows, target.value)
})
