/**
 * Gemini 3 changed two rules: thinking is set by level instead of budget, and a turn's
 * first function call must carry a thought signature.
 */
export function isGemini3(model: string): boolean {
  return model.includes('gemini-3');
}
