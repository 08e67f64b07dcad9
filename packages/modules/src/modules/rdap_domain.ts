/**
 * rdap_domain: who holds a registered domain and where it is delegated, from RDAP
 * (`GET {base}/domain/{name}`, RFC 9082/9083), following the bootstrap's redirect to the
 * registry: the holder's organization and emails from jCard contacts, and its name servers.
 */
import { Effect, Option, Schema } from "effect"
import {
  BadResponse,
  defineModule,
  expectOk,
  finding,
  type HttpClient,
  type HttpResponse,
  httpSession,
  targetValue
} from "../Module.js"
import type { Finding } from "../Module.js"

/** One jCard property: `[name, parameters, type, value…]` (RFC 7095). */
const VcardProperty = Schema.Tuple([Schema.String, Schema.Unknown, Schema.String], Schema.Unknown)

export const Vcard = Schema.Tuple(Schema.Literal("vcard"), Schema.Array(VcardProperty))

export interface RdapEntity {
  readonly handle?: string
  readonly roles?: ReadonlyArray<string>
  readonly vcardArray?: typeof Vcard.Type
  readonly entities?: ReadonlyArray<RdapEntity>
}

interface RdapEntityEncoded {
  readonly handle?: string
  readonly roles?: ReadonlyArray<string>
  readonly vcardArray?: typeof Vcard.Encoded
  readonly entities?: ReadonlyArray<RdapEntityEncoded>
}

export const RdapEntity: Schema.Schema<RdapEntity, RdapEntityEncoded> = Schema.Struct({
  handle: Schema.optionalWith(Schema.String, { exact: true }),
  roles: Schema.optionalWith(Schema.Array(Schema.String), { exact: true }),
  vcardArray: Schema.optionalWith(Vcard, { exact: true }),
  entities: Schema.optionalWith(
    Schema.Array(Schema.suspend((): Schema.Schema<RdapEntity, RdapEntityEncoded> => RdapEntity)),
    { exact: true }
  )
})

export const RdapDomain = Schema.Struct({
  objectClassName: Schema.Literal("domain"),
  ldhName: Schema.String,
  handle: Schema.optionalWith(Schema.String, { exact: true }),
  entities: Schema.optionalWith(Schema.Array(RdapEntity), { exact: true }),
  nameservers: Schema.optionalWith(Schema.Array(Schema.Struct({ ldhName: Schema.String })), { exact: true })
})

export const RdapDomainConfig = Schema.Struct({
  /** Also report the registrar (and its abuse desk), not only the holder's contacts. */
  include_registrar: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true }),
  /** Report the delegation's name servers. */
  nameservers: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type RdapDomainConfig = typeof RdapDomainConfig.Type

/** Registries replace personal data with placeholders under GDPR: those are not findings. */
const redacted = /redacted|privacy|withheld|not disclosed|data protected/i

/** The text values of a jCard property (`org` may be structured: its components, first one first). */
const texts = (vcard: typeof Vcard.Type, name: string): ReadonlyArray<string> =>
  vcard[1].flatMap(([property, , , ...values]) => {
    if (property.toLowerCase() !== name) return []
    const first = values[0]
    const text = Array.isArray(first) ? first[0] : first
    return typeof text === "string" && text.trim() !== "" && !redacted.test(text) ? [text.trim()] : []
  })

export interface Contact {
  readonly handle: string | undefined
  readonly roles: ReadonlyArray<string>
  readonly organization: string | undefined
  readonly emails: ReadonlyArray<string>
}

/** Every contact in the entity tree; entities under a skipped role are skipped with it. */
export const contacts = (
  entities: ReadonlyArray<RdapEntity>,
  skip: (roles: ReadonlyArray<string>) => boolean
): ReadonlyArray<Contact> =>
  entities.flatMap((entity) => {
    const roles = entity.roles ?? []
    if (skip(roles)) return []
    const vcard = entity.vcardArray
    const kind = vcard === undefined ? undefined : texts(vcard, "kind")[0]
    // An abuse desk or a NOC is "kind: org" too, but names a function, not who holds the resource.
    const holder = kind?.toLowerCase() === "org" && roles.some((role) => role === "registrant" || role === "registrar")
    const organization = vcard === undefined
      ? undefined
      : texts(vcard, "org")[0] ?? (holder ? texts(vcard, "fn")[0] : undefined)
    const own: Contact = {
      handle: entity.handle,
      roles,
      organization,
      emails: vcard === undefined ? [] : texts(vcard, "email")
    }
    return [own, ...contacts(entity.entities ?? [], skip)]
  })

/**
 * GETs an RDAP URL, following redirects (the rdap.org bootstrap answers 302 to the registry's
 * server); 404 is `None`, any other failure the usual module error.
 */
export const rdapGet = (http: HttpClient, url: string) =>
  Effect.gen(function*() {
    let current = url
    for (let hop = 0; hop <= 3; hop++) {
      const response: HttpResponse = yield* http.get(current, {
        headers: { accept: "application/rdap+json, application/json" }
      })
      const location = response.headers["location"]
      if (response.status >= 300 && response.status < 400 && location !== undefined) {
        if (!URL.canParse(location, current)) {
          return yield* new BadResponse({ reason: "RDAP redirect to an invalid location", status: response.status })
        }
        current = new URL(location, current).toString()
        continue
      }
      if (response.status === 404) return Option.none<HttpResponse>()
      return Option.some(yield* expectOk(response))
    }
    return yield* new BadResponse({ reason: "RDAP: too many redirects" })
  })

const sortFindings = (findings: ReadonlyArray<Finding>) =>
  [...findings].sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))

export const extractFindings = (
  domain: typeof RdapDomain.Type,
  config: RdapDomainConfig
): ReadonlyArray<Finding> => {
  const found = new Map<string, { readonly finding: Finding; readonly roles: Set<string> }>()
  const add = (item: Option.Option<Finding>, roles: ReadonlyArray<string>) => {
    if (Option.isNone(item)) return
    const key = `${item.value.type}:${item.value.value}`
    const entry = found.get(key) ?? { finding: item.value, roles: new Set<string>() }
    for (const role of roles) entry.roles.add(role)
    found.set(key, entry)
  }
  const skip = (roles: ReadonlyArray<string>) => !config.include_registrar && roles.includes("registrar")
  const registered = domain.ldhName.toLowerCase()
  for (const contact of contacts(domain.entities ?? [], skip)) {
    const details = { confidence: 0.9, metadata: { domain: registered, handle: contact.handle ?? null } }
    if (contact.organization !== undefined) add(finding("ORGANIZATION", contact.organization, details), contact.roles)
    for (const email of contact.emails) add(finding("EMAIL", email, details), contact.roles)
  }
  if (config.nameservers) {
    for (const nameserver of domain.nameservers ?? []) {
      add(finding("DOMAIN", nameserver.ldhName, { confidence: 0.95, metadata: { nameserver_of: registered } }), [])
    }
  }
  return sortFindings(Array.from(found.values(), ({ finding, roles }) => ({
    ...finding,
    metadata: { ...finding.metadata, ...(roles.size === 0 ? {} : { roles: Array.from(roles).sort() }) }
  })))
}

export const rdapSource = {
  id: "rdap",
  name: "RDAP (rdap.org bootstrap and the registries' servers)",
  baseUrl: "https://rdap.org",
  // rdap.org asks for at most 10 queries in 10 seconds; registries are stricter in bursts.
  rateLimit: { requests: 10, perSeconds: 10, burst: 2 },
  requiresKey: false,
  proxy: true
}

export const rdapDomain = defineModule({
  name: "rdap_domain",
  description: "Finds a registered domain's holder organization, contact emails and name servers via RDAP",
  version: "1.0.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["ORGANIZATION", "EMAIL", "DOMAIN"],
  flags: ["passive", "safe"],
  configSchema: RdapDomainConfig,
  default_config: { include_registrar: false, nameservers: true },
  source: rdapSource,
  setup: httpSession<typeof RdapDomainConfig.Type>("rdap_domain", "rdap"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const name = yield* targetValue("rdap_domain", task, "DOMAIN")
      const response = yield* rdapGet(session.http, `${session.base}/domain/${encodeURIComponent(name)}`)
      if (Option.isNone(response)) {
        // Not a registered domain (e.g. a subdomain) or not in any registry RDAP serves.
        yield* session.log("rdap_domain: not found", { domain: name })
        return []
      }
      const record = yield* response.value.json(RdapDomain)
      const findings = extractFindings(record, session.config)
      yield* session.log("rdap_domain answered", { domain: name, findings: findings.length })
      return findings
    })
})
