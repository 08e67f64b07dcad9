/** The console's shell: sign-in until a key is set, then the navigation and the current page. */
import { render } from "preact"
import { useEffect, useState } from "preact/hooks"
import { session } from "./Api.js"
import { Keys } from "./Keys.js"
import { NewScan } from "./NewScan.js"
import { Quotas } from "./Quotas.js"
import { useRoute } from "./Router.js"
import { ScanPage } from "./ScanPage.js"
import { Scans } from "./Scans.js"
import { SignIn } from "./SignIn.js"
import { Sources } from "./Sources.js"
import "./style.css"
import { Templates } from "./Templates.js"
import { ThemeToggle } from "./Theme.js"

const links = [
  { hash: "#/scans", label: "Scans", pages: ["scans", "scan", "new"] },
  { hash: "#/sources", label: "Sources", pages: ["sources"] },
  { hash: "#/templates", label: "Templates", pages: ["templates"] },
  { hash: "#/keys", label: "API keys", pages: ["keys"] },
  { hash: "#/quotas", label: "Quotas", pages: ["quotas"] }
]

const App = () => {
  const [key, setKey] = useState(session.key())
  useEffect(() => session.subscribe(() => setKey(session.key())), [])
  const route = useRoute()
  if (key === null) return <SignIn />
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <span class="brand">Mirage</span>
        <nav aria-label="Main">
          {links.map((link) => (
            <a href={link.hash} aria-current={link.pages.includes(route.page) ? "page" : undefined}>{link.label}</a>
          ))}
        </nav>
        <span class="grow" />
        <ThemeToggle />
        <button type="button" class="ghost" onClick={() => session.signOut()}>Sign out</button>
      </header>
      <main id="main" tabIndex={-1}>
        {route.page === "scans" && <Scans />}
        {route.page === "new" && <NewScan />}
        {route.page === "scan" && <ScanPage key={route.id} id={route.id} tab={route.tab} />}
        {route.page === "sources" && <Sources />}
        {route.page === "templates" && <Templates />}
        {route.page === "keys" && <Keys />}
        {route.page === "quotas" && <Quotas />}
      </main>
    </>
  )
}

render(<App />, document.getElementById("app")!)
