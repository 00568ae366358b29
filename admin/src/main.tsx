import createCache from "@emotion/cache";
import { CacheProvider } from "@emotion/react";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";

// MUI styles through emotion, which adds <style> tags at run time. The page's
// Content-Security-Policy allows only styles with this request's nonce, which
// the server writes into <meta name="csp-nonce">.
const nonce = document.querySelector<HTMLMetaElement>('meta[name="csp-nonce"]')?.content ?? "";
const cache = createCache({ key: "ra", nonce, prepend: true });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <CacheProvider value={cache}>
      <App />
    </CacheProvider>
  </StrictMode>,
);
