/**
 * dockerhub: the public images of a Docker Hub account (`GET {base}/v2/repositories/{namespace}/
 * ?page_size=100`), each `results[]` row a repository (`name`, `namespace`, `description`,
 * `pull_count`, `star_count`, `last_updated`) and `next` the URL of the following page (null on the
 * last). 404 is no such account. An ORGANIZATION's name is tried as its account name run together.
 */
import { Option, Schema } from "effect"
import { handleOf } from "../internal/Handle.js"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import * as Paging from "../kinds/Paging.js"
import { Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { type Finding, finding } from "../Module.js"

const optional = <A, I>(schema: Schema.Schema<A, I>) => Schema.optionalWith(schema, { exact: true, nullable: true })

export const DockerhubRepository = Schema.Struct({
  name: Schema.String.pipe(Schema.minLength(1)),
  namespace: Schema.String.pipe(Schema.minLength(1)),
  description: optional(Schema.String),
  pull_count: optional(Schema.Number),
  star_count: optional(Schema.Number),
  last_updated: optional(Schema.String),
  is_private: optional(Schema.Boolean)
})
export type DockerhubRepository = typeof DockerhubRepository.Type

export const DockerhubConfig = Schema.Struct({
  /** Pages of 100 images fetched at most per account. */
  max_pages: maxPagesField(5, 50)
})

/** The web page of an image: `https://hub.docker.com/r/{namespace}/{name}`. */
export const imageUrl = (repository: DockerhubRepository): string =>
  `https://hub.docker.com/r/${encodeURIComponent(repository.namespace)}/${encodeURIComponent(repository.name)}`

export const imageFindings = (
  repositories: ReadonlyArray<DockerhubRepository>,
  guessed: boolean
): ReadonlyArray<Finding> =>
  repositories.flatMap((repository) =>
    Option.toArray(finding("URL", imageUrl(repository), {
      confidence: guessed ? 0.5 : 0.85,
      metadata: Object.fromEntries(
        Object.entries({
          service: "docker hub",
          image: `${repository.namespace}/${repository.name}`,
          description: repository.description === "" ? undefined : repository.description,
          pulls: repository.pull_count,
          stars: repository.star_count,
          last_updated: repository.last_updated,
          account_guessed_from_name: guessed || undefined
        }).filter(([, value]) => value !== undefined)
      )
    }))
  )

export const dockerhub = pagedApi({
  name: "dockerhub",
  title: "Docker Hub images",
  description: "Finds the public container images of an account or organization on Docker Hub",
  flags: ["passive", "safe"],
  config: DockerhubConfig,
  input_types: ["USERNAME", "ORGANIZATION"],
  output_types: ["URL"],
  source: {
    id: "dockerhub",
    name: "Docker Hub",
    baseUrl: "https://hub.docker.com",
    // No figure is published for these listings (answers carry X-RateLimit-* headers, then 429): one a second.
    rateLimit: { requests: 1, perSeconds: 1, burst: 3 },
    requiresKey: false,
    proxy: true
  },
  format: Formats.json,
  request: (target) => ({
    path: `/v2/repositories/${encodeURIComponent(handleOf(target).name)}/`,
    query: { page_size: 100 }
  }),
  empty: [404],
  rows: (body) => {
    const results = Rows.at(body, "results")
    return Array.isArray(results) ? results : undefined
  },
  row: DockerhubRepository,
  paging: Paging.nextLink((body) => Rows.at(body, "next")),
  maxPages: (config) => config.max_pages,
  findings: (repositories, target) =>
    imageFindings(repositories.filter((repository) => repository.is_private !== true), handleOf(target).guessed)
})
