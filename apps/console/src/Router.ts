/** Hash routes (`#/scans/<id>`): the console's paths never meet the API's, which share the origin. */
import { useEffect, useState } from "preact/hooks"

export type Route =
  | { readonly page: "scans" }
  | { readonly page: "new" }
  | { readonly page: "scan"; readonly id: string; readonly tab: string }
  | { readonly page: "sources" }
  | { readonly page: "templates" }
  | { readonly page: "keys" }
  | { readonly page: "quotas" }

export const parse = (hash: string): Route => {
  const [first = "", second, third] = hash.replace(/^#\/?/, "").split("/")
  switch (first) {
    case "new":
      return { page: "new" }
    case "scans":
      return second ? { page: "scan", id: decodeURIComponent(second), tab: third ?? "results" } : { page: "scans" }
    case "sources":
      return { page: "sources" }
    case "templates":
      return { page: "templates" }
    case "keys":
      return { page: "keys" }
    case "quotas":
      return { page: "quotas" }
    default:
      return { page: "scans" }
  }
}

export const navigate = (hash: string) => {
  location.hash = hash
}

export const useRoute = (): Route => {
  const [route, setRoute] = useState(() => parse(location.hash))
  useEffect(() => {
    const update = () => setRoute(parse(location.hash))
    addEventListener("hashchange", update)
    return () => removeEventListener("hashchange", update)
  }, [])
  return route
}
