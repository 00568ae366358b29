// Password hashes made by Django itself (Debian's Django 3.2 with argon2-cffi
// and bcrypt, `make_password` and the hashers' own `encode`, costs set on
// subclasses), and scrypt by Django 4's ScryptPasswordHasher.encode run line
// for line on Python's hashlib.scrypt (Django 3.2 has no scrypt hasher): at
// Django's defaults, at this server's bounds and just beyond them. Every one
// is of PASSWORD. See src/users/django-hashers.ts for the bounds.

export const PASSWORD = "Bound-check-42 ñ";

/**
 * Django's default costs. PBKDF2's default grows with each release (260,000
 * in 3.2, 1,000,000 in 5.2, 1,200,000 in 6.0): 2,000,000 here.
 */
export const AT_DJANGO_DEFAULTS = {
  pbkdf2_sha256: "pbkdf2_sha256$2000000$boundsalt2026$E8kgn7nl4Pu365VBdsUtq89VlkpAvJKKfVSM0IrDEgU=",
  argon2: "argon2$argon2id$v=19$m=102400,t=2,p=8$YXJnb25zYWx0MjAyNmFiYw$nwXH6RK7pugF7MFXM2ckMQ",
  bcrypt_sha256: "bcrypt_sha256$$2b$12$4GBBWOVM4oPyBDgSV3FTQ.qV7wsJnp.RrF0TjV4bvYylMhYTku56.",
  bcrypt: "bcrypt$$2b$12$6HsfkCOAmc3OCWzWXcxn0.BfNry7f1lholxrSPwsVaNERLDDsHCyG",
  scrypt:
    "scrypt$16384$scryptsalt2026xyz$8$1$58dqX3fHtyWnCX8opYyq4qXKWZngHBaF+ygchGqPZTZhKOQ+maIBoNPQI0aIsS3Z728lw/AGn5Y9GfCrPtPAfA==",
} as const;

/** At the bounds: still checked. */
export const AT_BOUNDS = {
  pbkdf2_sha256: "pbkdf2_sha256$4000000$boundsalt2026$6fhRTf0ldLyLMgGvCK9mTBHfumzyv44xOwsaiMyCiRQ=",
  pbkdf2_sha1: "pbkdf2_sha1$4000000$boundsalt2026$khJNHTyBIcEED83eiKR000L3C4Y=",
  argon2: "argon2$argon2id$v=19$m=102400,t=16,p=16$YXJnb25zYWx0MjAyNmFiYw$lDNjyu0ypKpq7PP8rQRKEg",
  bcrypt_sha256: "bcrypt_sha256$$2b$13$yUDDBUPaUJojz5Id8IgAM.tzefL5T0fRpyzaVLKvTFYjzEHNDGnqe",
  scrypt_memory:
    "scrypt$65536$scryptsalt2026xyz$8$1$NkNshnZ5f4oOlrHGv8aievdRnDzqM4/6dI8iU7wAnlClTng+fG5x9/ERSp2BtxtV87fPCr4gUYBpm1agqK+SXQ==",
  scrypt_work:
    "scrypt$65536$scryptsalt2026xyz$8$4$nM3gr/nzPUYqmsL1mBqnbf5eyr4IaorJJrruYeTS5xVi/RUlZxyhOBSRvszHLngmvCpwr7GBQShsZZgURGjQ0A==",
} as const;

/** One step beyond: imported as "password must be reset", never checked. */
export const BEYOND_BOUNDS = {
  pbkdf2_sha256: "pbkdf2_sha256$4000001$boundsalt2026$JqOcRD5Kej2TUieqMjLT+/+LaTp09GRm6GY8HTJwpIc=",
  argon2_memory: "argon2$argon2id$v=19$m=102401,t=2,p=8$YXJnb25zYWx0MjAyNmFiYw$wPFYtCSY8Fm6EwjMb8jeJw",
  argon2_passes: "argon2$argon2id$v=19$m=8192,t=17,p=1$YXJnb25zYWx0MjAyNmFiYw$t1rFZVBLUICCCijiCMq6qQ",
  argon2_lanes: "argon2$argon2id$v=19$m=1024,t=1,p=17$YXJnb25zYWx0MjAyNmFiYw$ooCSW9D2Po7xqp6EI5dL/w",
  bcrypt_sha256: "bcrypt_sha256$$2b$14$cPq2Fl97llJ11szr.0I/fuF//bJgFXa6S8BajZNt/lQIJSofiiUfm",
  scrypt_memory:
    "scrypt$131072$scryptsalt2026xyz$8$1$6mQHXdrzpNd2jrGqJJUvepTc+6OAvsUSL8d3bqFV9tQjfCQPiHPwrVQhwDQIDGCR2KsIjONxYfM2NYxCPLlv/g==",
  scrypt_work:
    "scrypt$65536$scryptsalt2026xyz$8$5$Z4z/p7XNLJEkWCjNAu2nSRb+XXN189kWzVhq3hZLoUGPj9mCJI4/A0IJ7v6G5yUhGOH5BMymaevufA67zl5pgw==",
} as const;

/** Far beyond, written by hand (no machine makes these): each would take a core for days or GiBs of memory. */
export const HOSTILE = {
  bcrypt_cost_31: "bcrypt$$2b$31$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
  bcrypt_sha256_cost_31: "bcrypt_sha256$$2b$31$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy",
  argon2_4_GiB: "argon2$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
  argon2_1e8_passes: "argon2$argon2id$v=19$m=65536,t=100000000,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
  raw_argon2_4_GiB: "$argon2id$v=19$m=4194304,t=3,p=4$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA",
  scrypt_1_GiB: `scrypt$${2 ** 20}$salt$8$1$${"A".repeat(86)}==`,
  pbkdf2_1e9: "pbkdf2_sha256$999999999$salt$4w/henE27K8FZBE8QcqAdOhmWgm07Y1bxYUoNz0ZW9g=",
} as const;
