import type { ApolloServerPlugin } from "@apollo/server";
import { ApolloArmor } from "@escape.tech/graphql-armor";
import type { GraphQLFormattedError, ValidationRule } from "graphql";
import type { Config } from "../config/config";

// Limits on the shape of a GraphQL document, from the MAX_* settings.
//
// Depth, aliases, directives and cost are graphql-armor's validation rules:
// a document over a limit is refused before it runs, HTTP 400, code
// GRAPHQL_VALIDATION_FAILED, with a message naming the limit. Introspection
// (`__schema`) is exempt from depth and cost, so GraphiQL's schema query passes.
//
// Tokens are counted by graphql-js's own parser (Apollo's parseOptions), not
// by graphql-armor's maxTokens plugin: that plugin runs the lexer in a
// parsingDidStart hook, where any throw (a syntax error, the limit itself)
// becomes a 500. The parser's refusal is relabelled so every limit shares
// one code, and armor's "Syntax Error: " prefix is dropped from its own
// messages: the document is valid, only too big.

export const LIMIT_CODE = "GRAPHQL_VALIDATION_FAILED";
const TOKEN_LIMIT = /^Syntax Error: Document contains more tha[nt] (\d+) tokens\. Parsing aborted\.$/;
const ARMOR_LIMIT = /^Syntax Error: ((?:Query depth|Aliases|Directives|Query Cost) limit of .*)$/;

export interface GraphqlLimits {
  plugins: ApolloServerPlugin<never>[];
  validationRules: ValidationRule[];
  parseOptions: { maxTokens: number };
}

export function graphqlLimits(config: Config): GraphqlLimits {
  const armor = new ApolloArmor({
    maxDepth: { n: config.MAX_DEPTH, ignoreIntrospection: true },
    maxAliases: { n: config.MAX_ALIASES },
    maxDirectives: { n: config.MAX_DIRECTIVES },
    costLimit: { maxCost: config.MAX_COST, ignoreIntrospection: true },
    maxTokens: { enabled: false },
    // Apollo's hideSchemaDetailsFromClientErrors already drops "Did you mean"
    // in production; armor masks any that another path would let through.
    blockFieldSuggestion: { enabled: config.production },
  }).protect();
  return {
    plugins: armor.plugins,
    validationRules: armor.validationRules,
    parseOptions: { maxTokens: config.MAX_TOKENS },
  };
}

/** The token limit reported like the other limits (still HTTP 400). */
export function formatLimitError(formatted: GraphQLFormattedError): GraphQLFormattedError {
  const code = formatted.extensions?.code;
  const tokens = code === "GRAPHQL_PARSE_FAILED" ? TOKEN_LIMIT.exec(formatted.message) : null;
  if (tokens) {
    return { ...formatted, message: `Token limit of ${tokens[1]} exceeded.`, extensions: { ...formatted.extensions, code: LIMIT_CODE } };
  }
  const armor = code === LIMIT_CODE ? ARMOR_LIMIT.exec(formatted.message) : null;
  return armor ? { ...formatted, message: armor[1]! } : formatted;
}
