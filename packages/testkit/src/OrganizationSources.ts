/**
 * The sandbox's sources about the organization behind a domain: Microsoft's login discovery (its
 * Entra ID tenant), the code and image hosts (GitHub's REST API, GitLab, Docker Hub) holding its
 * accounts, and Hunter's index of its published addresses (keyed), each answering in its real API's
 * shape and paging as the real one does.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

type Server = Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope>

/** A domain's Entra ID tenant. */
export interface Tenant {
  readonly domain: string
  readonly id: string
  readonly brand: string
}

/**
 * `GET /getuserrealm.srf?login=user@{domain}&json=1`: Managed and the brand for a tenant's domain,
 * Unknown otherwise; `GET /{domain}/.well-known/openid-configuration`: the tenant's endpoints, 400
 * `invalid_tenant` for any other domain.
 */
export const microsoftLogin = (tenants: ReadonlyArray<Tenant>): Server =>
  HttpFixture.make("https://login.microsoftonline.com", (request) => {
    const find = (domain: string) => tenants.find((tenant) => tenant.domain === domain.toLowerCase())
    if (request.url.pathname === "/getuserrealm.srf") {
      const login = request.url.searchParams.get("login") ?? ""
      const domain = login.slice(login.lastIndexOf("@") + 1)
      const tenant = find(domain)
      return HttpFixture.json(
        tenant === undefined
          ? { State: 4, UserState: 1, Login: login, NameSpaceType: "Unknown" }
          : {
            State: 4,
            UserState: 1,
            Login: login,
            NameSpaceType: "Managed",
            DomainName: tenant.domain,
            FederationBrandName: tenant.brand,
            CloudInstanceName: "microsoftonline.com"
          }
      )
    }
    const domain = /^\/([^/]+)\/\.well-known\/openid-configuration$/.exec(request.url.pathname)?.[1]
    const tenant = domain === undefined ? undefined : find(domain)
    if (tenant === undefined) {
      return HttpFixture.json({
        error: "invalid_tenant",
        error_description: `AADSTS90002: Tenant '${domain ?? ""}' not found.`
      }, 400)
    }
    return HttpFixture.json({
      token_endpoint: `https://login.microsoftonline.com/${tenant.id}/oauth2/token`,
      issuer: `https://sts.windows.net/${tenant.id}/`,
      tenant_region_scope: "EU",
      cloud_instance_name: "microsoftonline.com"
    })
  })

/** An account on a code or image host: an organization (with public members) or a user, and its projects. */
export interface CodeAccount {
  readonly login: string
  readonly kind: "organization" | "user"
  readonly projects: ReadonlyArray<{ readonly name: string; readonly description: string; readonly fork?: boolean }>
  readonly members: ReadonlyArray<string>
}

const pageOf = <A>(items: ReadonlyArray<A>, page: number, size: number) => items.slice((page - 1) * size, page * size)
const pageParam = (url: URL) => Math.max(1, Number(url.searchParams.get("page") ?? "1") || 1)

/**
 * GitHub's REST API: `GET /orgs/{org}/repos`, `/orgs/{org}/public_members`, `/users/{user}/repos`,
 * `perPage` a page with a `Link` header naming the next; 404 `Not Found` for an unknown account.
 */
export const githubApi = (accounts: ReadonlyArray<CodeAccount>, options: { readonly perPage: number }): Server =>
  HttpFixture.make("https://api.github.com", (request) => {
    const url = request.url
    const match = /^\/(orgs|users)\/([^/]+)\/(repos|public_members)$/.exec(url.pathname)
    const account = accounts.find((candidate) =>
      match !== null && candidate.login === decodeURIComponent(match[2]!) &&
      (match[1] === "users" || candidate.kind === "organization")
    )
    if (match === null || account === undefined) {
      return HttpFixture.json({ message: "Not Found", documentation_url: "https://docs.github.com/rest" }, 404)
    }
    const page = pageParam(url)
    const all: ReadonlyArray<unknown> = match[3] === "repos"
      ? account.projects.map((project, i) => ({
        id: 1000 + i,
        name: project.name,
        full_name: `${account.login}/${project.name}`,
        html_url: `https://github.com/${account.login}/${project.name}`,
        description: project.description,
        fork: project.fork ?? false,
        archived: false,
        language: "TypeScript",
        stargazers_count: 1
      }))
      : account.members.map((login, i) => ({
        login,
        id: 2000 + i,
        html_url: `https://github.com/${login}`,
        type: "User"
      }))
    const more = page * options.perPage < all.length
    const next = new URL(url.toString())
    next.searchParams.set("page", String(page + 1))
    return HttpFixture.json(
      pageOf(all, page, options.perPage),
      200,
      more ? { link: `<${next.pathname}${next.search}>; rel="next"` } : {}
    )
  })

/**
 * GitLab: `GET /api/v4/groups/{group}/projects`, `/api/v4/users/{user}/projects`, `perPage` a page
 * with `X-Next-Page` (empty on the last); 404 `{"message": "404 Group Not Found"}`.
 */
export const gitlab = (accounts: ReadonlyArray<CodeAccount>, options: { readonly perPage: number }): Server =>
  HttpFixture.make("https://gitlab.com", (request) => {
    const match = /^\/api\/v4\/(groups|users)\/([^/]+)\/projects$/.exec(request.url.pathname)
    const account = accounts.find((candidate) =>
      match !== null && candidate.login === decodeURIComponent(match[2]!) &&
      candidate.kind === (match[1] === "groups" ? "organization" : "user")
    )
    if (match === null || account === undefined) {
      return HttpFixture.json({ message: `404 ${match?.[1] === "users" ? "User" : "Group"} Not Found` }, 404)
    }
    const page = pageParam(request.url)
    const all = account.projects.map((project, i) => ({
      id: 3000 + i,
      name: project.name,
      path_with_namespace: `${account.login}/${project.name}`,
      web_url: `https://gitlab.com/${account.login}/${project.name}`,
      description: project.description,
      visibility: "public",
      star_count: 0,
      forks_count: 0
    }))
    const more = page * options.perPage < all.length
    return HttpFixture.json(pageOf(all, page, options.perPage), 200, {
      "x-page": String(page),
      "x-next-page": more ? String(page + 1) : "",
      "x-total": String(all.length)
    })
  })

/** Docker Hub: `GET /v2/repositories/{namespace}/`, `perPage` images a page, `next` the following page's URL. */
export const dockerhub = (accounts: ReadonlyArray<CodeAccount>, options: { readonly perPage: number }): Server =>
  HttpFixture.make("https://hub.docker.com", (request) => {
    const namespace = /^\/v2\/repositories\/([^/]+)\/?$/.exec(request.url.pathname)?.[1]
    const account = accounts.find((candidate) => namespace !== undefined && candidate.login === namespace)
    if (account === undefined) return HttpFixture.json({ message: "object not found", errinfo: {} }, 404)
    const page = pageParam(request.url)
    const all = account.projects.filter((project) => project.fork !== true).map((project) => ({
      name: project.name,
      namespace: account.login,
      repository_type: "image",
      status: 1,
      description: project.description,
      is_private: false,
      star_count: 0,
      pull_count: 42,
      last_updated: "2025-01-15T09:30:00.000000Z"
    }))
    const more = page * options.perPage < all.length
    return HttpFixture.json({
      count: all.length,
      next: more ? `/v2/repositories/${account.login}/?page=${page + 1}&page_size=100` : null,
      previous: null,
      results: pageOf(all, page, options.perPage)
    })
  })

/** A published address Hunter knows, with the person behind it. */
export interface PublishedEmail {
  readonly value: string
  readonly firstName?: string
  readonly lastName?: string
  readonly position?: string
  readonly confidence: number
}

/**
 * Hunter: `GET /v2/domain-search?domain=&limit=&offset=&api_key=`: the domain's addresses (what it
 * indexed under the domain, including an address of another domain seen there), `meta.results` the
 * total; 401 `authentication_failed` without the key.
 */
export const hunter = (
  organizations: ReadonlyArray<
    { readonly domain: string; readonly name: string; readonly emails: ReadonlyArray<PublishedEmail> }
  >,
  options: { readonly key: string }
): Server =>
  HttpFixture.make("https://api.hunter.io", (request) => {
    const params = request.url.searchParams
    if (params.get("api_key") !== options.key) {
      return HttpFixture.json({
        errors: [{ id: "authentication_failed", code: 401, details: "No user found for the API key supplied" }]
      }, 401)
    }
    if (request.url.pathname !== "/v2/domain-search") return HttpFixture.notFound()
    const domain = (params.get("domain") ?? "").toLowerCase()
    const limit = Number(params.get("limit") ?? "10")
    const offset = Number(params.get("offset") ?? "0")
    const organization = organizations.find((candidate) => candidate.domain === domain)
    const all = organization?.emails ?? []
    return HttpFixture.json({
      data: {
        domain,
        disposable: false,
        webmail: false,
        accept_all: false,
        pattern: organization === undefined ? null : "{first}",
        organization: organization?.name ?? null,
        country: organization === undefined ? null : "GB",
        emails: all.slice(offset, offset + limit).map((email) => ({
          value: email.value,
          type: email.firstName === undefined ? "generic" : "personal",
          confidence: email.confidence,
          sources: [{ domain, uri: `https://${domain}/contact`, extracted_on: "2024-03-01", still_on_page: true }],
          first_name: email.firstName ?? null,
          last_name: email.lastName ?? null,
          position: email.position ?? null,
          phone_number: null,
          verification: { date: null, status: null }
        })),
        linked_domains: []
      },
      meta: { results: all.length, limit, offset, params: { domain } }
    })
  })
