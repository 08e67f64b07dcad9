/**
 * github_org: the public repositories and members of a GitHub organization, or a user's own
 * repositories, from GitHub's REST API: `GET {base}/orgs/{org}/repos?type=public` and
 * `/orgs/{org}/public_members` for an ORGANIZATION (its name run together as the login), `GET
 * /users/{user}/repos?type=owner` for a USERNAME; `per_page=100`, paged by the `Link` header's
 * `rel="next"`. Repositories are URLs (forks and archives marked), members USERNAMEs. A token
 * (`Authorization: Bearer`) is optional: keyless, GitHub allows 60 requests an hour per address.
 * (`/orgs/{org}/members` redirects outsiders to the public list, so the public list is asked.)
 */
import { Effect, Either, Option, Schema } from "effect"
import { githubRateLimit } from "../internal/GithubRateLimit.js"
import { handleOf } from "../internal/Handle.js"
import { canonicalTarget, collectPages, headerFields, maxPagesField, type Pages } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats, openSession, type PageRequest } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { defineModule, type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const GithubRepository = Schema.Struct({
  full_name: Schema.String,
  html_url: Schema.String.pipe(Schema.minLength(1)),
  description: optional(Schema.String),
  fork: optional(Schema.Boolean),
  archived: optional(Schema.Boolean),
  language: optional(Schema.String),
  stargazers_count: optional(Schema.Number),
  pushed_at: optional(Schema.String),
  homepage: optional(Schema.String)
})
export type GithubRepository = typeof GithubRepository.Type

export const GithubMember = Schema.Struct({
  login: Schema.String.pipe(Schema.minLength(1)),
  html_url: optional(Schema.String),
  type: optional(Schema.String)
})
export type GithubMember = typeof GithubMember.Type

export const GithubOrgConfig = Schema.Struct({
  /** Pages of 100 fetched at most per listing (repositories, members). */
  max_pages: maxPagesField(3, 50),
  /** Also list an organization's public members. */
  members: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true }),
  /** Report forks of other projects too. */
  include_forks: Schema.optionalWith(Schema.Boolean, { default: () => false, exact: true })
})
type GithubOrgConfig = typeof GithubOrgConfig.Type

const source = {
  id: "github_api",
  name: "GitHub REST API",
  baseUrl: "https://api.github.com",
  // 5,000 requests an hour with a token; keyless, 60 an hour, which GitHub answers with 403 and its reset time.
  rateLimit: { requests: 5000, perSeconds: 3600, burst: 5 },
  requiresKey: false,
  proxy: true
} as const

const headers = { accept: "application/vnd.github+json", "x-github-api-version": "2022-11-28" }

/** A listing under the API, paged by `Link`, 404 being nothing (no such organization or user). */
const listing = (
  path: string,
  query: Readonly<Record<string, string | number>>
): Pages<GithubOrgConfig, unknown, unknown> => ({
  auth: Auth.bearer,
  format: Formats.json,
  request: (): PageRequest => ({ path, query: { ...query, per_page: 100 }, headers }),
  empty: [404],
  failure: githubRateLimit,
  rows: (body) => (Array.isArray(body) ? body : undefined),
  paging: Paging.linkNext,
  maxPages: (config) => config.max_pages
})

const present = (fields: Readonly<Record<string, unknown>>) =>
  Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined && value !== ""))

export const repositoryFindings = (
  repositories: ReadonlyArray<GithubRepository>,
  config: Pick<GithubOrgConfig, "include_forks">,
  guessed: boolean
): ReadonlyArray<Finding> =>
  repositories
    .filter((repository) => config.include_forks || repository.fork !== true)
    .flatMap((repository) =>
      Option.toArray(finding("URL", repository.html_url, {
        confidence: guessed ? 0.5 : 0.9,
        metadata: present({
          service: "github",
          repository: repository.full_name,
          description: repository.description,
          language: repository.language,
          stars: repository.stargazers_count,
          pushed_at: repository.pushed_at,
          homepage: repository.homepage,
          fork: repository.fork === true ? true : undefined,
          archived: repository.archived === true ? true : undefined,
          account_guessed_from_name: guessed || undefined
        })
      }))
    )

export const memberFindings = (
  members: ReadonlyArray<GithubMember>,
  organization: string,
  guessed: boolean
): ReadonlyArray<Finding> =>
  members.flatMap((member) =>
    Option.toArray(finding("USERNAME", member.login, {
      confidence: guessed ? 0.5 : 0.85,
      metadata: present({
        service: "github",
        organization,
        profile: member.html_url,
        account_type: member.type,
        role: "public member",
        account_guessed_from_name: guessed || undefined
      })
    }))
  )

export const githubOrg = defineModule({
  ...headerFields({
    name: "github_org",
    title: "GitHub organization",
    description: "Finds the public repositories and members of a GitHub organization, or a user's repositories",
    flags: ["passive", "safe"],
    config: GithubOrgConfig,
    input_types: ["ORGANIZATION", "USERNAME"],
    output_types: ["URL", "USERNAME"]
  }),
  source,
  setup: openSession<GithubOrgConfig>("github_org", source),
  collect: (session, task) =>
    Effect.gen(function*() {
      const target = yield* canonicalTarget("github_org", task)
      const handle = handleOf(target)
      const login = encodeURIComponent(handle.name)
      const decodeRepository = Rows.schema(GithubRepository)
      if (target.type === "USERNAME") {
        const repositories = yield* collectPages(
          listing(`/users/${login}/repos`, { type: "owner" }),
          decodeRepository,
          session,
          target
        )
        return repositoryFindings(repositories, session.config, false)
      }
      const repositories = yield* collectPages(
        listing(`/orgs/${login}/repos`, { type: "public" }),
        decodeRepository,
        session,
        target
      )
      const found = repositoryFindings(repositories, session.config, handle.guessed)
      if (!session.config.members) return found
      const members = yield* Effect.either(
        collectPages(listing(`/orgs/${login}/public_members`, {}), Rows.schema(GithubMember), session, target)
      )
      if (Either.isLeft(members)) {
        // The repositories already read stand; losing the members is a warning unless nothing was found.
        if (found.length === 0) return yield* Effect.fail(members.left)
        yield* session.notes.warn(`members not listed: ${members.left.message}`)
        return found
      }
      yield* session.log("github_org answered", {
        target: target.value,
        repositories: repositories.length,
        members: members.right.length
      })
      return [...found, ...memberFindings(members.right, handle.name, handle.guessed)]
    })
})
