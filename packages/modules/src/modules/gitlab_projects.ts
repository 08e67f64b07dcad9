/**
 * gitlab_projects: the public projects of a GitLab group or user, from GitLab's REST API
 * (`GET {base}/api/v4/groups/{group}/projects?include_subgroups=true` for an ORGANIZATION, `GET
 * {base}/api/v4/users/{user}/projects` for a USERNAME, `per_page=100`), paged by the `X-Next-Page`
 * header (empty on the last page). Each project's `web_url` is a URL. 404 is no such group or user.
 * Keyless on gitlab.com; a token (`PRIVATE-TOKEN`) raises the limits and reaches a self-managed
 * instance's internal projects.
 */
import { Option, Schema } from "effect"
import { handleOf } from "../internal/Handle.js"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Auth, Formats } from "../kinds/Request.js"
import { type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const GitlabProject = Schema.Struct({
  id: Schema.Number,
  web_url: Schema.String.pipe(Schema.minLength(1)),
  path_with_namespace: Schema.String,
  description: optional(Schema.String),
  visibility: optional(Schema.String),
  default_branch: optional(Schema.String),
  star_count: optional(Schema.Number),
  forks_count: optional(Schema.Number),
  last_activity_at: optional(Schema.String),
  archived: optional(Schema.Boolean)
})
export type GitlabProject = typeof GitlabProject.Type

export const GitlabProjectsConfig = Schema.Struct({
  /** Pages of 100 projects fetched at most per group or user. */
  max_pages: maxPagesField(5, 50)
})

export const projectFindings = (projects: ReadonlyArray<GitlabProject>, guessed: boolean): ReadonlyArray<Finding> =>
  projects.flatMap((project) =>
    Option.toArray(finding("URL", project.web_url, {
      confidence: guessed ? 0.5 : 0.85,
      metadata: Object.fromEntries(
        Object.entries({
          service: "gitlab",
          project: project.path_with_namespace,
          project_id: project.id,
          description: project.description === "" ? undefined : project.description,
          visibility: project.visibility,
          default_branch: project.default_branch,
          stars: project.star_count,
          forks: project.forks_count,
          last_activity_at: project.last_activity_at,
          archived: project.archived,
          account_guessed_from_name: guessed || undefined
        }).filter(([, value]) => value !== undefined)
      )
    }))
  )

export const gitlabProjects = pagedApi({
  name: "gitlab_projects",
  title: "GitLab projects",
  description: "Finds the public projects of a group or user on GitLab",
  flags: ["passive", "safe"],
  config: GitlabProjectsConfig,
  input_types: ["USERNAME", "ORGANIZATION"],
  output_types: ["URL"],
  source: {
    id: "gitlab",
    name: "GitLab",
    baseUrl: "https://gitlab.com",
    // GitLab.com allows 300 project listings a minute per user or address on these endpoints.
    rateLimit: { requests: 300, perSeconds: 60, burst: 5 },
    requiresKey: false,
    proxy: true
  },
  auth: Auth.header("private-token"),
  format: Formats.json,
  request: (target) => {
    const handle = encodeURIComponent(handleOf(target).name)
    return target.type === "ORGANIZATION"
      ? { path: `/api/v4/groups/${handle}/projects`, query: { include_subgroups: true, per_page: 100 } }
      : { path: `/api/v4/users/${handle}/projects`, query: { per_page: 100 } }
  },
  empty: [404],
  rows: (body) => (Array.isArray(body) ? body : undefined),
  row: GitlabProject,
  paging: Paging.headerPage("x-next-page", "page"),
  maxPages: (config) => config.max_pages,
  findings: (projects, target) => projectFindings(projects, handleOf(target).guessed)
})
