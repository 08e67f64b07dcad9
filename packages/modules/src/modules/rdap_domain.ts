/**
 * rdap_domain: who holds a registered domain and where it is delegated, from RDAP
 * (`GET {base}/domain/{name}`, RFC 9082/9083), following the bootstrap's redirect to the
 * registry, then the registry answer's `related` link to the registrar's server, whose record is
 * fuller (the registrar's card, its abuse desk, often the registrant's contacts); when that fails
 * the registry's answer is used alone, with a warning. The holder's organization, emails and phone
 * numbers come from the jCards, read in full; the name servers from the delegation.
 */
import { Effect, Either, Option, Predicate, Schema } from "effect"
import {
  type Contact,
  contacts,
  entitiesOf,
  type RdapAnswer,
  rdapGet,
  rdapSource,
  relatedLinks
} from "../internal/Rdap.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, endpoint, finding, targetValue } from "../Module.js"
import type { CollectionNotes, Finding, HttpClient } from "../Module.js"

/** A domain object: only the class is required; its name defaults to the one asked for. */
export const RdapDomain = Schema.Struct({
  objectClassName: Schema.Literal("domain"),
  ldhName: Schema.optionalWith(Schema.String, { exact: true, nullable: true })
})

const Nameserver = Schema.Struct({ ldhName: Schema.String })

export const RdapDomainConfig = Schema.Struct({
  /** Also report the registrar (and its abuse desk), not only the holder's contacts. */
  include_registrar: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true }),
  /** Report the delegation's name servers. */
  nameservers: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  /** Follow the registry's `related` link to the registrar's fuller record. */
  follow_related: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type RdapDomainConfig = typeof RdapDomainConfig.Type

/** A domain record as read: its contacts and name servers (what did not read is counted). */
export interface DomainRecord {
  readonly name: string
  readonly contacts: ReadonlyArray<Contact>
  readonly nameservers: ReadonlyArray<string>
  readonly skipped: number
  readonly reason: string | undefined
}

/** A domain answer read tolerantly, or why it is not a domain object at all. */
export const readDomain = (
  body: unknown,
  asked: string,
  config: RdapDomainConfig
): Either.Either<DomainRecord, string> =>
  Either.map(Either.mapLeft(Schema.decodeUnknownEither(RdapDomain)(body), Rows.firstIssue), (domain) => {
    let skipped = 0
    let reason: string | undefined
    const onSkipped = (why: string, count: number) => {
      skipped += count
      reason ??= why
    }
    const entities = entitiesOf(body)
    if (entities.reason !== undefined) onSkipped(entities.reason, entities.skipped)
    const skip = (roles: ReadonlyArray<string>) => !config.include_registrar && roles.includes("registrar")
    const nameservers = Rows.list(Predicate.isRecord(body) ? body["nameservers"] : undefined, Nameserver, "nameservers")
    if (nameservers.reason !== undefined) onSkipped(nameservers.reason, nameservers.skipped)
    return {
      name: (domain.ldhName ?? asked).toLowerCase(),
      contacts: contacts(entities.rows, skip, onSkipped),
      nameservers: nameservers.rows.map((nameserver) => nameserver.ldhName),
      skipped,
      reason
    }
  })

const sortFindings = (findings: ReadonlyArray<Finding>) =>
  [...findings].sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))

/** The findings of one or more records of the domain (the registry's and the registrar's), each once. */
export const extractFindings = (
  records: ReadonlyArray<DomainRecord>,
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
  for (const record of records) {
    for (const contact of record.contacts) {
      const metadata = {
        domain: record.name,
        handle: contact.handle ?? null,
        ...(contact.name === undefined || contact.name === contact.organization ? {} : { name: contact.name })
      }
      const details = { confidence: 0.9, metadata }
      if (contact.organization !== undefined) {
        add(
          finding("ORGANIZATION", contact.organization, {
            ...details,
            metadata: { ...metadata, ...(contact.address === undefined ? {} : { address: contact.address }) }
          }),
          contact.roles
        )
      }
      for (const email of contact.emails) add(finding("EMAIL", email, details), contact.roles)
      for (const phone of contact.phones) add(finding("PHONE", phone, { ...details, confidence: 0.8 }), contact.roles)
    }
    if (config.nameservers) {
      for (const nameserver of record.nameservers) {
        add(finding("DOMAIN", nameserver, { confidence: 0.95, metadata: { nameserver_of: record.name } }), [])
      }
    }
  }
  return sortFindings(Array.from(found.values(), ({ finding, roles }) => ({
    ...finding,
    metadata: { ...finding.metadata, ...(roles.size === 0 ? {} : { roles: Array.from(roles).sort() }) }
  })))
}

/** An answer's JSON body read as a domain record, or a BadResponse. */
const parse = (answer: RdapAnswer, name: string, config: RdapDomainConfig) =>
  Either.match(Rows.parseJson(answer.response.body), {
    onLeft: (reason) => Either.left(reason),
    onRight: (body) => Either.map(readDomain(body, name, config), (record) => ({ body, record }))
  })

/** The registrar's record behind the registry's `related` link, or a warning saying why there is none. */
const registrarRecord = (
  http: HttpClient,
  notes: CollectionNotes,
  links: ReadonlyArray<string>,
  name: string,
  config: RdapDomainConfig
) =>
  Effect.gen(function*() {
    const link = links[0]
    if (link === undefined) return Option.none<DomainRecord>()
    const read = yield* rdapGet(http, link).pipe(
      Effect.mapError((error) => error.message),
      Effect.flatMap(Option.match({
        onNone: () => Effect.fail("not found (404)"),
        onSome: (found) => Either.map(parse(found, name, config), ({ record }) => record)
      })),
      Effect.either
    )
    if (Either.isRight(read)) return Option.some(read.right)
    yield* notes.warn(`the registrar's RDAP record could not be read, the registry's is used alone: ${read.left}`)
    return Option.none<DomainRecord>()
  })

export const rdapDomain = defineModule({
  name: "rdap_domain",
  description: "Finds a registered domain's holder organization, contact emails and phones, and name servers via RDAP",
  version: "1.1.0",
  author: "Mirage Team",
  input_types: ["DOMAIN"],
  output_types: ["ORGANIZATION", "EMAIL", "PHONE", "DOMAIN"],
  flags: ["passive", "safe"],
  configSchema: RdapDomainConfig,
  default_config: { include_registrar: false, nameservers: true, follow_related: true },
  source: rdapSource,
  setup: (config: RdapDomainConfig, ctx) =>
    Effect.map(endpoint(ctx, "rdap_domain", "rdap"), (base) => ({
      config,
      base,
      http: ctx.http,
      notes: ctx.notes,
      log: ctx.log
    })),
  collect: (session, task) =>
    Effect.gen(function*() {
      const name = yield* targetValue("rdap_domain", task, "DOMAIN")
      const { config } = session
      const answer = yield* rdapGet(session.http, `${session.base}/domain/${encodeURIComponent(name)}`)
      if (Option.isNone(answer)) {
        // Not a registered domain (e.g. a subdomain) or not in any registry RDAP serves.
        yield* session.log("rdap_domain: not found", { domain: name })
        return []
      }
      const registry = yield* Either.match(parse(answer.value, name, config), {
        onLeft: (reason) =>
          Effect.fail(
            new BadResponse({ reason: `not an RDAP domain: ${reason}`, status: answer.value.response.status })
          ),
        onRight: Effect.succeed
      })
      const registrar = config.follow_related
        ? yield* registrarRecord(
          session.http,
          session.notes,
          relatedLinks(registry.body, answer.value.url),
          name,
          config
        )
        : Option.none<DomainRecord>()
      const records = [registry.record, ...Option.toArray(registrar)]
      for (const record of records) {
        if (record.reason !== undefined) yield* session.notes.skipped(record.reason, record.skipped)
      }
      const findings = extractFindings(records, config)
      yield* session.log("rdap_domain answered", {
        domain: name,
        registrar_record: Option.isSome(registrar),
        findings: findings.length
      })
      return findings
    })
})
