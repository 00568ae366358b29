import { useEffect, useState, type FormEvent } from "react";
import { Alert, Box, Button, Card, CardContent, TextField, Typography } from "@mui/material";
import { useLogin } from "react-admin";
import { flash } from "./authProvider";
import { ApiError } from "./graphql";

// Sign-in: username and password for a key named "admin". Says why a
// session ended (the API's own message), and counts down when logins are
// throttled (the API's retryAfter, or Retry-After).

export const LoginPage = () => {
  const login = useLogin();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  // Read in the initializer (StrictMode runs it twice), cleared once shown.
  const [error, setError] = useState<string | null>(() => flash.peek());
  useEffect(() => flash.clear(), []);
  const [waitUntil, setWaitUntil] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (waitUntil === null) return;
    const timer = setInterval(() => {
      const t = Date.now();
      setNow(t);
      if (t >= waitUntil) setWaitUntil(null);
    }, 250);
    return () => clearInterval(timer);
  }, [waitUntil]);

  const secondsLeft = waitUntil === null ? 0 : Math.max(0, Math.ceil((waitUntil - now) / 1000));

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login({ username, password });
    } catch (e) {
      if (e instanceof ApiError && e.retryAfter) {
        // One instant for both: two Date.now() calls a millisecond apart made
        // the first second shown retryAfter + 1.
        const at = Date.now();
        setNow(at);
        setWaitUntil(at + e.retryAfter * 1000);
      }
      setError(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Box
      component="main"
      sx={{
        minHeight: "100vh",
        display: "flex",
        alignItems: "center",
        justifyContent: "center",
        bgcolor: "grey.100",
        p: 2,
      }}
    >
      <Card sx={{ width: "100%", maxWidth: 380 }}>
        <CardContent>
          <Typography component="h1" variant="h5" gutterBottom>
            Sign in to the admin
          </Typography>
          <Typography variant="body2" color="text.secondary" gutterBottom>
            Staff only. The key this issues (named “admin”) stays in this tab and is revoked when you sign out.
          </Typography>
          <Box component="form" onSubmit={submit} noValidate aria-describedby={error ? "login-error" : undefined}>
            <TextField
              label="Username"
              name="username"
              autoComplete="username"
              autoFocus
              required
              fullWidth
              margin="normal"
              value={username}
              onChange={(e) => setUsername(e.target.value)}
            />
            <TextField
              label="Password"
              name="password"
              type="password"
              autoComplete="current-password"
              required
              fullWidth
              margin="normal"
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
            {error && (
              <Alert severity="error" id="login-error" role="alert" sx={{ mt: 1 }}>
                {error}
              </Alert>
            )}
            {secondsLeft > 0 && (
              <Alert severity="warning" role="status" aria-live="polite" sx={{ mt: 1 }} data-testid="login-countdown">
                Too many attempts: try again in {secondsLeft} s.
              </Alert>
            )}
            <Button type="submit" variant="contained" fullWidth sx={{ mt: 2 }} disabled={busy || secondsLeft > 0}>
              {secondsLeft > 0 ? `Sign in (${secondsLeft} s)` : "Sign in"}
            </Button>
          </Box>
        </CardContent>
      </Card>
    </Box>
  );
};
