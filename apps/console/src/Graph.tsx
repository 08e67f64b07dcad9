/**
 * The entity graph of a scan (cytoscape, loaded on first use): the target, each result as a node coloured by type,
 * and an edge from the entity it was found from (`parent`: a hash or a value; the target when absent).
 */
import type { Core, ElementDefinition } from "cytoscape"
import { useEffect, useRef, useState } from "preact/hooks"
import type { EntityType, ResultJson, ScanJson } from "./Api.js"
import { currentTheme } from "./Theme.js"

export const typeColours: Record<EntityType, string> = {
  DOMAIN: "#3b82f6",
  IP: "#10b981",
  EMAIL: "#f59e0b",
  URL: "#8b5cf6",
  USERNAME: "#ec4899",
  PHONE: "#14b8a6",
  ASN: "#ef4444",
  NETBLOCK: "#f97316",
  OPEN_PORT: "#84cc16",
  TECHNOLOGY: "#06b6d4",
  ORGANIZATION: "#a855f7",
  BREACH: "#dc2626",
  VULNERABILITY: "#b91c1c",
  CERTIFICATE: "#64748b"
}

const targetId = "target"
/** Beyond this many results the graph starts from the target's own findings; Expand shows more. */
const fullGraphLimit = 400

/** Nodes and edges: one node per result (by hash), an edge from its parent, found by hash or value, else the target. */
export const elementsOf = (scan: ScanJson, results: ReadonlyArray<ResultJson>) => {
  const byHash = new Map<string, ResultJson>()
  const byValue = new Map<string, ResultJson>()
  for (const result of results) {
    byHash.set(result.hash, result)
    if (!byValue.has(result.data)) byValue.set(result.data, result)
  }
  const parentOf = (result: ResultJson): string => {
    const parent = result.parent
    if (parent === undefined || parent === null) return targetId
    const found = byHash.get(parent) ?? byValue.get(parent)
    return found === undefined || found.hash === result.hash ? targetId : found.hash
  }
  const nodes: Array<ElementDefinition> = [
    { data: { id: targetId, label: scan.target.value, type: scan.target.type, colour: typeColours[scan.target.type] } }
  ]
  const edges: Array<ElementDefinition> = []
  for (const result of byHash.values()) {
    if (result.data === scan.target.value && result.data_type === scan.target.type) continue
    nodes.push({
      data: { id: result.hash, label: result.data, type: result.data_type, colour: typeColours[result.data_type] }
    })
    edges.push({ data: { id: `e-${result.hash}`, source: parentOf(result), target: result.hash } })
  }
  return { nodes, edges }
}

export const EntityGraph = (props: { readonly scan: ScanJson; readonly results: ReadonlyArray<ResultJson> }) => {
  const container = useRef<HTMLDivElement>(null)
  const graph = useRef<Core | null>(null)
  const [selected, setSelected] = useState<string | null>(null)
  const [summary, setSummary] = useState("")
  useEffect(() => {
    let cancelled = false
    void import("cytoscape").then(({ default: cytoscape }) => {
      if (cancelled || container.current === null) return
      const { nodes, edges } = elementsOf(props.scan, props.results)
      const dark = currentTheme() === "dark"
      const cy = cytoscape({
        container: container.current,
        elements: [...nodes, ...edges],
        wheelSensitivity: 0.3,
        style: [
          {
            selector: "node",
            style: {
              "background-color": "data(colour)",
              label: "data(label)",
              "font-size": 9,
              color: dark ? "#e5e7eb" : "#111827",
              "text-valign": "bottom",
              "text-margin-y": 3,
              width: 14,
              height: 14
            }
          },
          {
            selector: `#${targetId}`,
            style: { width: 26, height: 26, "border-width": 3, "border-color": dark ? "#fff" : "#000" }
          },
          { selector: "node:selected", style: { "border-width": 3, "border-color": "#facc15" } },
          { selector: ".hidden", style: { display: "none" } },
          {
            selector: "edge",
            style: {
              width: 1,
              "line-color": dark ? "#4b5563" : "#cbd5e1",
              "target-arrow-shape": "triangle",
              "target-arrow-color": dark ? "#4b5563" : "#cbd5e1",
              "curve-style": "bezier",
              "arrow-scale": 0.6
            }
          }
        ],
        layout: { name: "grid" }
      })
      if (nodes.length > fullGraphLimit) {
        cy.nodes().difference(cy.getElementById(targetId).closedNeighborhood()).addClass("hidden")
      }
      cy.on("select", "node", (event) => setSelected(event.target.id()))
      cy.on("unselect", "node", () => setSelected(null))
      graph.current = cy
      relayout(cy)
      setSummary(`${nodes.length} nodes, ${edges.length} edges`)
    })
    return () => {
      cancelled = true
      graph.current?.destroy()
      graph.current = null
    }
  }, [props.scan.id, props.results])
  const relayout = (cy: Core) => {
    const visible = cy.elements(":visible")
    const layout = visible.nodes().length > 300
      ? visible.layout({ name: "concentric", minNodeSpacing: 6, animate: false })
      : visible.layout({ name: "cose", animate: false, randomize: false })
    layout.run()
    cy.fit(undefined, 20)
  }
  const focus = () => {
    const cy = graph.current
    if (cy === null || selected === null) return
    cy.animate({ fit: { eles: cy.getElementById(selected).closedNeighborhood(), padding: 40 } }, { duration: 300 })
  }
  const expand = () => {
    const cy = graph.current
    if (cy === null) return
    const from = selected === null ? cy.nodes(":visible") : cy.getElementById(selected)
    from.outgoers().removeClass("hidden")
    relayout(cy)
  }
  return (
    <div class="graph-wrap">
      <div class="row toolbar">
        <button type="button" class="small" onClick={() => graph.current?.fit(undefined, 20)}>Fit</button>
        <button type="button" class="small" disabled={selected === null} onClick={focus}>Focus selected</button>
        <button type="button" class="small" onClick={expand}>
          {selected === null ? "Expand all one step" : "Expand selected"}
        </button>
        <span class="muted" data-testid="graph-summary">{summary}</span>
      </div>
      <div class="legend" aria-label="Colours by type">
        {(Object.keys(typeColours) as Array<EntityType>).map((type) => (
          <span>
            <i style={{ background: typeColours[type] }} />
            {type}
          </span>
        ))}
      </div>
      <div ref={container} class="graph" role="img" aria-label={`Entity graph: ${summary}`} />
    </div>
  )
}
