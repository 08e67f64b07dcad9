/**
 * The console's client of the Mirage API: wire types are the domain schemas' encoded forms (so the console and the
 * server cannot drift), the key lives in sessionStorage only, a 401 signs out, problems become plain sentences.
 */
import type { ApiKeyList, CreateApiKeyRequest, IssuedApiKey } from "@mirage/domain/api/ApiKeysApi"
import type { Source, SourceList } from "@mirage/domain/api/CollectApi"
import type { ModuleInfo, ModuleList } from "@mirage/domain/api/ModulesApi"
import type { OrganizationQuotas, UpdateQuotasRequest } from "@mirage/domain/api/QuotasApi"
import type { HistoryEntry, HistoryPage, ResultPage, ScanPage, ScanStatusReport } from "@mirage/domain/api/ScansApi"
import type { TemplateList, TemplateView } from "@mirage/domain/api/TemplatesApi"
import type { CollectionResult } from "@mirage/domain/CollectionTask"
import type { EntityType } from "@mirage/domain/Entity"
import type { CreateScanRequest, Scan, ScanStatus } from "@mirage/domain/Scan"
import type { ScanProgressEvent } from "@mirage/domain/ScanProgress"

export type ScanJson = typeof Scan.Encoded
export type ScanPageJson = typeof ScanPage.Encoded
export type StatusJson = typeof ScanStatusReport.Encoded
/** `parent`: the entity a result was discovered from (its hash or value); absent or null for the target's own. */
export type ResultJson = typeof CollectionResult.Encoded & { readonly parent?: string | null }
export type ResultPageJson = typeof ResultPage.Encoded
export type HistoryJson = typeof HistoryEntry.Encoded
export type HistoryPageJson = typeof HistoryPage.Encoded
export type ModuleJson = typeof ModuleInfo.Encoded
export type ModuleListJson = typeof ModuleList.Encoded
export type SourceJson = typeof Source.Encoded
export type SourceListJson = typeof SourceList.Encoded
export type TemplateJson = typeof TemplateView.Encoded
export type TemplateListJson = typeof TemplateList.Encoded
export type ApiKeyListJson = typeof ApiKeyList.Encoded
export type IssuedKeyJson = typeof IssuedApiKey.Encoded
export type CreateKeyJson = typeof CreateApiKeyRequest.Encoded
export type QuotasJson = typeof OrganizationQuotas.Encoded
export type UpdateQuotasJson = typeof UpdateQuotasRequest.Encoded
export type CreateScanJson = typeof CreateScanRequest.Encoded
export type ProgressJson = typeof ScanProgressEvent.Encoded
export type { EntityType, ScanStatus }

/**
 * Every entity type and scan status, as values for the console's pickers: the domain's schemas stay on the server,
 * and a record keyed by the type makes the compiler refuse a list that misses or adds one.
 */
const everyEntityType: Record<EntityType, true> = {
  DOMAIN: true,
  IP: true,
  EMAIL: true,
  URL: true,
  USERNAME: true,
  PHONE: true,
  ASN: true,
  NETBLOCK: true,
  OPEN_PORT: true,
  TECHNOLOGY: true,
  ORGANIZATION: true,
  BREACH: true,
  VULNERABILITY: true,
  CERTIFICATE: true,
  CORRELATION: true
}
export const entityTypes = Object.keys(everyEntityType) as ReadonlyArray<EntityType>
const everyScanStatus: Record<ScanStatus, true> = {
  CREATED: true,
  RUNNING: true,
  PAUSED: true,
  COMPLETED: true,
  FAILED: true,
  CANCELLED: true
}
export const scanStatuses = Object.keys(everyScanStatus) as ReadonlyArray<ScanStatus>
export const isTerminal = (status: ScanStatus) =>
  status === "COMPLETED" || status === "FAILED" || status === "CANCELLED"

const storageKey = "mirage.apiKey"
const listeners = new Set<() => void>()

export const session = {
  key: (): string | null => sessionStorage.getItem(storageKey),
  signIn: (key: string) => {
    sessionStorage.setItem(storageKey, key.trim())
    listeners.forEach((listener) => listener())
  },
  signOut: () => {
    sessionStorage.removeItem(storageKey)
    listeners.forEach((listener) => listener())
  },
  subscribe: (listener: () => void) => {
    listeners.add(listener)
    return () => void listeners.delete(listener)
  }
}

/** A problem answer (RFC 7807) with the sentence to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly sentence: string,
    readonly body: Record<string, unknown> = {}
  ) {
    super(sentence)
  }
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1)

/** The sentence a problem reads as; a 409 about a scan's status says what the action could not do and why. */
export const sentenceOf = (status: number, body: Record<string, unknown>, action?: string): string => {
  const detail = typeof body["detail"] === "string" ? body["detail"] : ""
  const current = typeof body["current_status"] === "string" ? body["current_status"] : undefined
  if (status === 409 && current !== undefined && action !== undefined) {
    const why = detail === "" ? "" : `: ${detail}`
    return `Cannot ${action} this scan (it is ${current.toLowerCase()})${why}.`
  }
  if (status === 409) return `${capitalize(detail || "the request conflicts with the current state")}.`
  if (status === 403) return "Your API key's role does not allow this."
  if (status === 429) return "Too many requests: wait a moment and try again."
  if (status === 400 && Array.isArray(body["errors"])) {
    const errors = body["errors"] as ReadonlyArray<{ field?: string; message?: string }>
    return errors.map((error) => `${error.field ? `${error.field}: ` : ""}${error.message ?? ""}`).join("; ")
  }
  return detail ? capitalize(detail) : `The server answered ${status}.`
}

interface CallOptions {
  readonly method?: string
  readonly body?: unknown
  /** What the request does, for the sentence of a 409. */
  readonly action?: string
  readonly key?: string
}

/** Calls the API with the session's key; a 401 signs out (back to sign-in) and rejects. */
export const call = async <A>(path: string, options: CallOptions = {}): Promise<A> => {
  const key = options.key ?? session.key()
  const headers: Record<string, string> = { accept: "application/json" }
  if (key !== null) headers["authorization"] = `Bearer ${key}`
  if (options.body !== undefined) headers["content-type"] = "application/json"
  const response = await fetch(path, {
    method: options.method ?? "GET",
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) })
  })
  const text = await response.text()
  const body = text === "" ? {} : safeJson(text)
  if (!response.ok) {
    const problem = typeof body === "object" && body !== null ? body as Record<string, unknown> : {}
    if (response.status === 401 && options.key === undefined) session.signOut()
    throw new ApiError(response.status, sentenceOf(response.status, problem, options.action), problem)
  }
  return body as A
}

const safeJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return { detail: text }
  }
}

export const query = (params: Record<string, string | number | undefined | null>): string => {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, String(value))
  }
  const text = search.toString()
  return text === "" ? "" : `?${text}`
}

/** Downloads an export (the API's own streaming export) as a file, with the key in the header, not the URL. */
export const download = async (path: string, filename: string) => {
  const key = session.key()
  const response = await fetch(path, { headers: key === null ? {} : { authorization: `Bearer ${key}` } })
  if (response.status === 401) session.signOut()
  if (!response.ok) throw new ApiError(response.status, `The export failed (${response.status}).`)
  const blob = await response.blob()
  const url = URL.createObjectURL(blob)
  const link = document.createElement("a")
  link.href = url
  link.download = filename
  document.body.append(link)
  link.click()
  link.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** The message of anything thrown: an ApiError's sentence, else the error's own message. */
export const messageOf = (error: unknown): string =>
  error instanceof ApiError ? error.sentence : error instanceof Error ? error.message : String(error)
