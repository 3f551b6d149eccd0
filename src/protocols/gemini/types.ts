/**
 * The parts of the Gemini generateContent wire format (v1beta, Vertex and Code Assist
 * share it) that llm-mux reads and writes. JSON names are the lowerCamelCase of the proto
 * fields in shared/wire/schemas/gemini; fields passed through untouched are left out.
 */

export interface GeminiBlob {
  mimeType: string;
  data: string;
}

export interface GeminiFunctionCall {
  id?: string;
  name?: string;
  args?: Record<string, unknown>;
  /** Vertex `streamFunctionCallArguments`: the arguments arrive in pieces, by JSON path. */
  partialArgs?: GeminiPartialArg[];
  /** Vertex: more parts of this call follow. */
  willContinue?: boolean;
}

export interface GeminiPartialArg {
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: string;
  willContinue?: boolean;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
  /** Multimodal function results (Gemini 3): media next to the JSON response. */
  parts?: Array<{ inlineData?: GeminiBlob }>;
}

export interface GeminiPart {
  text?: string;
  thought?: boolean;
  /** Opaque, base64: returned byte-exact on the same part in the next request. */
  thoughtSignature?: string;
  inlineData?: GeminiBlob;
  fileData?: { mimeType?: string; fileUri: string };
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
}

export interface GeminiContent {
  role?: string;
  parts?: GeminiPart[];
}

export interface GeminiThinkingConfig {
  includeThoughts?: boolean;
  thinkingBudget?: number;
  /** Gemini 3: `low` / `high` (the API also takes MINIMAL/MEDIUM on some models). */
  thinkingLevel?: string;
}

export interface GeminiGenerationConfig {
  candidateCount?: number;
  stopSequences?: string[];
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  seed?: number;
  presencePenalty?: number;
  frequencyPenalty?: number;
  responseMimeType?: string;
  /** OpenAPI-style Schema (uppercase types, `nullable`). */
  responseSchema?: Record<string, unknown>;
  /** Plain JSON Schema. */
  responseJsonSchema?: Record<string, unknown>;
  thinkingConfig?: GeminiThinkingConfig;
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** OpenAPI-style Schema. */
  parameters?: Record<string, unknown>;
  /** Plain JSON Schema; exclusive with `parameters`. */
  parametersJsonSchema?: Record<string, unknown>;
}

export interface GeminiTool {
  functionDeclarations?: GeminiFunctionDeclaration[];
  [other: string]: unknown;
}

export type GeminiFunctionCallingMode = 'AUTO' | 'ANY' | 'NONE' | 'VALIDATED' | 'MODE_UNSPECIFIED';

export interface GeminiToolConfig {
  functionCallingConfig?: { mode?: GeminiFunctionCallingMode; allowedFunctionNames?: string[] };
}

/** The request body; the model is in the URL (or in the Code Assist envelope). */
export interface GenerateContentRequest {
  contents: GeminiContent[];
  systemInstruction?: GeminiContent;
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  cachedContentTokenCount?: number;
  candidatesTokenCount?: number;
  toolUsePromptTokenCount?: number;
  thoughtsTokenCount?: number;
  totalTokenCount?: number;
}

export interface GeminiCandidate {
  index?: number;
  content?: GeminiContent;
  finishReason?: string;
}

/** A non-streaming answer, and each element of a stream. */
export interface GenerateContentResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: { blockReason?: string };
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** Vertex only. */
  createTime?: string;
}

/** Google's error body (google.rpc.Status as JSON), also sent as a stream element. */
export interface GoogleErrorBody {
  error: {
    code: number;
    message: string;
    status: string;
    details?: Array<{ '@type'?: string; retryDelay?: string; [key: string]: unknown }>;
  };
}
