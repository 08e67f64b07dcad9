/**
 * microsoft_tenant: whether a domain signs in with Microsoft Entra ID (Azure AD / Microsoft 365),
 * and the tenant behind it, from two keyless login endpoints:
 * `GET {base}/getuserrealm.srf?login=user@{domain}&json=1` says how the domain's accounts sign in
 * (`NameSpaceType` Managed, Federated with its identity provider's `AuthURL`, or Unknown: no
 * tenant) and the tenant's `FederationBrandName`; `GET {base}/{domain}/.well-known/openid-configuration`
 * names the tenant's id in its `token_endpoint` and `issuer` (400 `invalid_tenant` when the domain
 * has none). The tenant is an ORGANIZATION (its brand) with its id; a federated domain's identity
 * provider sign-in page is a URL.
 */
import { Effect, Option, Predicate, Schema } from "effect"
import { canonicalTarget, headerFields, NoConfig } from "../kinds/PagedApi.js"
import { Auth, Formats, openSession, send } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, defineModule, type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const UserRealm = Schema.Struct({
  NameSpaceType: Schema.String,
  DomainName: optional(Schema.String),
  FederationBrandName: optional(Schema.String),
  AuthURL: optional(Schema.String),
  FederationProtocol: optional(Schema.String),
  CloudInstanceName: optional(Schema.String)
})
export type UserRealm = typeof UserRealm.Type

export const OpenIdConfiguration = Schema.Struct({
  token_endpoint: optional(Schema.String),
  issuer: optional(Schema.String),
  tenant_region_scope: optional(Schema.String),
  cloud_instance_name: optional(Schema.String)
})
export type OpenIdConfiguration = typeof OpenIdConfiguration.Type

const guid = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i

/** The tenant id in the token endpoint (`…/{id}/oauth2/token`) or, failing that, the issuer. */
export const tenantId = (openid: OpenIdConfiguration): string | undefined =>
  (guid.exec(openid.token_endpoint ?? "") ?? guid.exec(openid.issuer ?? ""))?.[0]?.toLowerCase()

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ""))

/** The identity provider's page without its query (which names the login asked about). */
const withoutQuery = (url: string): string | undefined =>
  URL.canParse(url) ? `${new URL(url).origin}${new URL(url).pathname}` : undefined

export const tenantFindings = (
  realm: UserRealm,
  openid: Option.Option<OpenIdConfiguration>,
  domain: string
): ReadonlyArray<Finding> => {
  if (!/^(managed|federated)$/i.test(realm.NameSpaceType)) return []
  const id = Option.getOrUndefined(Option.flatMap(openid, (config) => Option.fromNullable(tenantId(config))))
  const identityProvider = realm.AuthURL === undefined ? undefined : withoutQuery(realm.AuthURL)
  const tenant = present({
    domain,
    tenant_id: id,
    namespace_type: realm.NameSpaceType,
    cloud_instance: realm.CloudInstanceName ?? Option.getOrUndefined(openid)?.cloud_instance_name,
    tenant_region_scope: Option.getOrUndefined(openid)?.tenant_region_scope,
    federation_protocol: realm.FederationProtocol,
    identity_provider: identityProvider === undefined ? undefined : new URL(identityProvider).hostname
  })
  const brand = realm.FederationBrandName?.trim()
  return [
    ...(brand === undefined || brand === ""
      ? []
      : Option.toArray(finding("ORGANIZATION", brand, {
        confidence: 0.85,
        metadata: { ...tenant, role: "Microsoft Entra ID tenant" }
      }))),
    ...(identityProvider === undefined ? [] : Option.toArray(finding("URL", identityProvider, {
      confidence: 0.8,
      metadata: present({ domain, tenant_id: id, role: "federated sign-in (identity provider)" })
    })))
  ]
}

const source = {
  id: "microsoft_login",
  name: "Microsoft Entra ID login",
  baseUrl: "https://login.microsoftonline.com",
  // No published limit for these discovery endpoints; two requests a domain, one a second.
  rateLimit: { requests: 1, perSeconds: 1, burst: 2 },
  requiresKey: false,
  proxy: true
} as const

const decode = <A, I>(schema: Schema.Schema<A, I>, body: unknown, what: string) =>
  Effect.mapError(
    Schema.decodeUnknown(schema)(body),
    (error) => new BadResponse({ reason: `${what}: ${Rows.firstIssue(error)}` })
  )

export const microsoftTenant = defineModule({
  ...headerFields({
    name: "microsoft_tenant",
    title: "Microsoft 365 tenant",
    description:
      "Finds whether a domain signs in with Microsoft Entra ID, its tenant's name and id, and its federation",
    flags: ["passive", "safe"],
    config: NoConfig,
    input_types: ["DOMAIN"],
    output_types: ["ORGANIZATION", "URL"]
  }),
  source,
  setup: openSession<typeof NoConfig.Type>("microsoft_tenant", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      const target = yield* canonicalTarget("microsoft_tenant", task)
      const options = { format: Formats.json, auth: Auth.none }
      const realmAnswer = yield* send(session, {
        path: "/getuserrealm.srf",
        query: { login: `user@${target.value}`, json: 1 }
      }, options)
      if (realmAnswer._tag === "Empty") return []
      const realm = yield* decode(UserRealm, realmAnswer.body, "getuserrealm answer")
      if (!/^(managed|federated)$/i.test(realm.NameSpaceType)) return []
      // A domain without a tenant answers 400 `invalid_tenant`: the realm still stands, without an id.
      const openidAnswer = yield* Effect.either(
        send(session, { path: `/${target.value}/.well-known/openid-configuration` }, { ...options, empty: [400, 404] })
      )
      const openid = yield* Effect.gen(function*() {
        if (openidAnswer._tag === "Left") {
          yield* session.notes.warn(`tenant id not read: ${openidAnswer.left.message}`)
          return Option.none<OpenIdConfiguration>()
        }
        if (openidAnswer.right._tag === "Empty" || !Predicate.isRecord(openidAnswer.right.body)) return Option.none()
        return Option.getRight(Schema.decodeUnknownEither(OpenIdConfiguration)(openidAnswer.right.body))
      })
      const findings = tenantFindings(realm, openid, target.value)
      yield* session.log("microsoft_tenant answered", {
        target: target.value,
        namespace: realm.NameSpaceType,
        findings: findings.length
      })
      return findings
    })
})
