// The playground page: GraphiQL (UMD globals React, ReactDOM, GraphiQL) with
// the seed's flow as its first tabs, and an offer to put a freshly issued key
// into the Authorization header. Plain browser JavaScript, no build step.
(function () {
  "use strict";

  const script = document.currentScript;
  // GraphiQL's dialogs add one <style> element; it carries this nonce so the
  // page's Content-Security-Policy can stay without 'unsafe-inline'.
  window.__webpack_nonce__ = script.nonce;
  const endpoint = script.dataset.endpoint || "/graphql";
  const h = React.createElement;

  const KEY = /^[0-9a-f]{40}$/;
  const json = (value) => JSON.stringify(value, null, 2);
  const EXAMPLE_HEADERS = json({ Authorization: "Token <the key from obtainToken>" });

  const TABS = [
    {
      query: `# Step 1, DRF's obtain_auth_token: a username and
# password buy a key. Run it (▶ or Ctrl-Enter), then press
# "Use this key in the headers" under the response.
# An empty Authorization header is anonymous, as in DRF.
mutation ObtainToken($username: String!, $password: String!) {
  obtainToken(username: $username, password: $password) {
    token
    expiresAt
    user { id username isStaff }
  }
}
`,
      variables: json({ username: "amit", password: "P@ssrord123" }),
      headers: json({ Authorization: "" }),
    },
    {
      query: `# Step 2: list students with the key (the seed's GET).
# Headers: {"Authorization": "Token <key>"}; after step 1
# the key is put there when you open this tab.
query Students {
  students(limit: 20, orderBy: ID_ASC) {
    count
    results { id name roll city }
  }
}
`,
      headers: EXAMPLE_HEADERS,
    },
    {
      query: `# Step 3: the seed's POST, GET one, PUT, PATCH, DELETE.
# Pick the operation to run from the ▶ button's menu.
mutation CreateStudent {
  createStudent(input: { name: "Aman", roll: 101, city: "Ranchi" }) { id name roll city }
}

query Student($id: ID! = "1") {
  student(id: $id) { id name roll city createdAt updatedAt }
}

mutation UpdateStudent($id: ID! = "1") {
  updateStudent(id: $id, input: { name: "Aman Kumar", roll: 101, city: "Patna" }) { id name roll city }
}

mutation PatchStudent($id: ID! = "1") {
  patchStudent(id: $id, input: { city: "Delhi" }) { id name roll city }
}

mutation DeleteStudent($id: ID! = "1") {
  deleteStudent(id: $id)
}
`,
      headers: EXAMPLE_HEADERS,
    },
    {
      query: `# Who am I, and which keys do I have? Only the first
# 8 characters of a key are ever shown again.
query Me {
  me { id username email isStaff lastLogin }
  myTokens { id name prefix createdAt lastUsedAt expiresAt scopes current }
}
`,
      headers: EXAMPLE_HEADERS,
    },
    {
      query: `# A key that can do less: it only reads students, for 7 days
# (scopes: ACCOUNT, STUDENTS_READ, STUDENTS_WRITE, ADMIN; each
# root field's @requiresScopes in /schema.graphql names the one
# it needs). Use the key, then run createStudent with it: 403,
# with the scope it lacks in extensions.requiredScopes.
mutation ReadOnlyKey($username: String!, $password: String!) {
  obtainToken(
    username: $username
    password: $password
    name: "read-only"
    scopes: [STUDENTS_READ]
    expiresIn: "7d"
  ) {
    token
    expiresAt
    scopes
  }
}
`,
      variables: json({ username: "amit", password: "P@ssrord123" }),
      headers: json({ Authorization: "" }),
    },
  ];

  // Plain JSON over POST; any field that returns a key (obtainToken,
  // register, createUser, createToken, changePassword) is announced.
  async function fetcher(params, options) {
    // Just after a tab switch GraphiQL can still send the previous tab's
    // operation name with the new tab's document; a name the document does
    // not define is dropped (a one-operation document then runs as is).
    const name = params && params.operationName;
    if (
      typeof name === "string" &&
      !new RegExp(`\\b(?:query|mutation|subscription)\\s+${name}\\b`).test(params.query || "")
    ) {
      params = { ...params, operationName: undefined };
    }
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", ...(options && options.headers) },
      body: JSON.stringify(params),
    });
    const text = await response.text();
    let result;
    try {
      result = JSON.parse(text);
    } catch {
      return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
    }
    for (const [field, value] of Object.entries((result && result.data) || {})) {
      if (value && typeof value.token === "string" && KEY.test(value.token)) {
        const username = value.user && value.user.username;
        const scopes = Array.isArray(value.scopes) ? value.scopes : null;
        window.dispatchEvent(
          new CustomEvent("playground:key", { detail: { key: value.token, field, username, scopes } }),
        );
      }
    }
    return result;
  }

  /**
   * The headers text with `Authorization: Token <key>`, keeping other headers.
   * Unless forced, a header that already carries a real key of the user's own
   * choosing is left alone (null is returned).
   */
  function withKey(text, key, ownKeys, force) {
    let headers;
    try {
      headers = text.trim() === "" ? {} : JSON.parse(text);
    } catch {
      headers = null;
    }
    if (!headers || typeof headers !== "object" || Array.isArray(headers)) {
      return force ? json({ Authorization: `Token ${key}` }) : null;
    }
    const names = Object.keys(headers).filter((name) => name.toLowerCase() === "authorization");
    const current = names.length > 0 ? String(headers[names[0]]) : "";
    const match = /^(?:token|bearer)\s+([0-9a-f]{40})$/i.exec(current.trim());
    if (!force && match && !ownKeys.has(match[1])) return null;
    for (const name of names) delete headers[name];
    return json({ Authorization: `Token ${key}`, ...headers });
  }

  function KeyNotice() {
    const editor = GraphiQL.React.useEditorContext({ nonNull: true });
    const [offer, setOffer] = React.useState(null);
    const [applied, setApplied] = React.useState(null);
    const appliedKeys = React.useRef(new Set());

    React.useEffect(() => {
      const onKey = (event) => setOffer(event.detail);
      window.addEventListener("playground:key", onKey);
      return () => window.removeEventListener("playground:key", onKey);
    }, []);

    // A tab opened after the key was taken gets it too, unless its headers
    // already name a key of their own.
    React.useEffect(() => {
      const headerEditor = editor.headerEditor;
      if (!applied || !headerEditor) return;
      const text = headerEditor.getValue();
      const next = withKey(text, applied, appliedKeys.current, false);
      if (next !== null && next !== text) headerEditor.setValue(next);
    }, [editor.activeTabIndex, editor.headerEditor, applied]);

    if (!offer) return null;
    const short = `${offer.key.slice(0, 8)}…`;
    const who = offer.username ? ` for ${offer.username}` : "";
    // A key with scopes says so: what it is refused is then no surprise.
    const only = offer.scopes ? ` (only ${offer.scopes.join(", ")})` : "";
    const use = () => {
      appliedKeys.current.add(offer.key);
      if (editor.headerEditor) {
        editor.headerEditor.setValue(withKey(editor.headerEditor.getValue(), offer.key, appliedKeys.current, true));
      }
      setApplied(offer.key);
    };
    if (applied === offer.key) {
      return h(
        "div",
        { className: "playground-key", role: "status" },
        h(
          "span",
          null,
          "The headers now send ",
          h("code", null, `Authorization: Token ${short}`),
          " (other tabs get it when you open them).",
        ),
      );
    }
    return h(
      "div",
      { className: "playground-key", role: "status" },
      h("span", null, `${offer.field} returned a key${who}${only}: `, h("code", null, short)),
      h("button", { type: "button", onClick: use }, "Use this key in the headers"),
    );
  }

  // GraphiQL 3.9 opens the first of defaultTabs with empty variables instead
  // of that tab's own: put them in once.
  function FirstTabValues() {
    const editor = GraphiQL.React.useEditorContext({ nonNull: true });
    const { variableEditor } = editor;
    React.useEffect(() => {
      const tab = editor.tabs[editor.activeTabIndex];
      if (tab && tab.variables && variableEditor && variableEditor.getValue() === "")
        variableEditor.setValue(tab.variables);
    }, [variableEditor]);
    return null;
  }

  function Playground() {
    return h(
      GraphiQL,
      {
        fetcher,
        defaultTabs: TABS,
        defaultHeaders: EXAMPLE_HEADERS,
        // The first tab's headers, which the schema's introspection also sends:
        // anonymous, so it works before there is a key.
        headers: TABS[0].headers,
        defaultEditorToolsVisibility: "headers",
        isHeadersEditorEnabled: true,
        // Keys stay out of localStorage.
        shouldPersistHeaders: false,
      },
      h(GraphiQL.Footer, null, h(FirstTabValues), h(KeyNotice)),
    );
  }

  ReactDOM.createRoot(document.getElementById("playground")).render(h(Playground));
})();
