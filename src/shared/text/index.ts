export { cleanText, hasForbiddenCharacters, TextPolicyError, type TextRules } from './text-policy.js';
