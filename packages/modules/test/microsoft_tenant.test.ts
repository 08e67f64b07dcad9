/** microsoft_tenant against declared Microsoft login endpoints: the realm, the tenant id, federation, no tenant. */
import { describe, expect, it } from "@effect/vitest"
import { microsoftTenant, tenantId } from "@mirage/modules/modules/microsoft_tenant"
import { Effect, Either } from "effect"
import { collectAgainst } from "./support.js"

const target = { type: "DOMAIN" as const, value: "Example.test" }
const realm = {
  path: "/getuserrealm.srf",
  query: { login: "user@example.test", json: "1" },
  headers: { accept: "application/json" }
}
const openid = { path: "/example.test/.well-known/openid-configuration", headers: { accept: "application/json" } }
const tenant = "6babcaad-604b-40ac-a9d7-9fd97c0b779f"

describe("microsoft_tenant", () => {
  it.scoped("a managed domain: its brand as an ORGANIZATION with the tenant id from the token endpoint", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(microsoftTenant, [
        {
          request: realm,
          response: {
            json: {
              State: 4,
              UserState: 1,
              Login: "user@example.test",
              NameSpaceType: "Managed",
              DomainName: "example.test",
              FederationBrandName: "Example Corp",
              CloudInstanceName: "microsoftonline.com"
            }
          }
        },
        {
          request: openid,
          response: {
            json: {
              token_endpoint: `https://login.microsoftonline.com/${tenant}/oauth2/token`,
              issuer: `https://sts.windows.net/${tenant}/`,
              tenant_region_scope: "EU"
            }
          }
        }
      ], { target })
      yield* run.server.verify
      const [org, ...rest] = Either.getOrThrow(run.outcome)
      expect(rest).toEqual([])
      expect(org).toMatchObject({
        type: "ORGANIZATION",
        value: "Example Corp",
        metadata: {
          tenant_id: tenant,
          namespace_type: "Managed",
          tenant_region_scope: "EU",
          cloud_instance: "microsoftonline.com",
          domain: "example.test"
        }
      })
    }))

  it.scoped("a federated domain: its identity provider's page (query dropped); no tenant id is a note", () =>
    Effect.gen(function*() {
      const run = yield* collectAgainst(microsoftTenant, [
        {
          request: realm,
          response: {
            json: {
              NameSpaceType: "Federated",
              FederationBrandName: "Example Corp",
              FederationProtocol: "WSTrust",
              AuthURL: "https://example.okta.test/app/office365/abc/sso/wsfed/passive?username=user%40example.test"
            }
          }
        },
        { request: openid, response: { status: 503, body: "busy" } }
      ], { target })
      yield* run.server.verify
      expect(Either.getOrThrow(run.outcome).map((f) => [f.type, f.value, f.metadata["identity_provider"]])).toEqual([
        ["ORGANIZATION", "Example Corp", "example.okta.test"],
        ["URL", "https://example.okta.test/app/office365/abc/sso/wsfed/passive", undefined]
      ])
      expect(run.notes.warnings).toEqual([expect.stringContaining("tenant id not read")])
    }))

  it.scoped("Unknown is no tenant (no second request); a realm of another shape is BadResponse", () =>
    Effect.gen(function*() {
      const none = yield* collectAgainst(microsoftTenant, [
        { request: realm, response: { json: { NameSpaceType: "Unknown", Login: "user@example.test" } } }
      ], { target })
      yield* none.server.verify
      expect(Either.getOrThrow(none.outcome)).toEqual([])
      const odd = yield* collectAgainst(microsoftTenant, [
        { request: realm, response: { json: { State: 4 } } }
      ], { target })
      expect(odd.outcome).toMatchObject({ left: { _tag: "BadResponse" } })
      const invalid = yield* collectAgainst(microsoftTenant, [
        { request: realm, response: { json: { NameSpaceType: "Managed", FederationBrandName: "Example Corp" } } },
        { request: openid, response: { status: 400, json: { error: "invalid_tenant" } } }
      ], { target })
      expect(Either.getOrThrow(invalid.outcome).map((f) => f.metadata["tenant_id"])).toEqual([undefined])
      expect(tenantId({ issuer: `https://sts.windows.net/${tenant.toUpperCase()}/` })).toBe(tenant)
    }))
})
