// The prompt guard's phrase rules (weights are defaults; a policy may override any by id). Sources of the
// grammar: Rebuff/Vigil verb x scope x object, OpenClaw and garak attack classes (see security.md §1.4).
import { words, type PhraseRule } from './phrase-match.ts';

const OVERRIDE_VERB = words('ignore ignoring ignored disregard disregarding forget forgetting skip bypass override overlook neglect discard dismiss abandon omit nullify circumvent supersede displace erase');
const SCOPE = words('previous prior above earlier preceding all any every your original initial former foregoing system developer those everything anything whatever');
const OBJECT = words('instructions instruction directives directive directions rules prompt prompts guidelines guideline orders commands constraints restrictions programming guardrails policies limitations safeguards told instructed said taught given');
const OBJECT_STRONG = words('instructions instruction directives directive prompt prompts guidelines programming guardrails safeguards instructed');
const REVEAL = words('reveal show print output repeat tell display give share leak dump disclose expose spell recite provide return echo type list');
const PROMPT_NOUN = words('prompt prompts instructions instruction guidelines directives configuration');
const PROMPT_ADJ = words('system initial hidden secret original your above full entire complete previous developer internal');
const SECRET_ASK = words('reveal tell give share confirm provide print show say spell send leak disclose what whats repeat output verify');
const SECRET_NOUN = words('password passwords passcode passphrase credentials pin');
const SECRET_QUAL = words('key word phrase code token value');
const AUTH_ROLE = words('developer developers admin administrator creator owner god president ceo root superuser operator sysadmin programmer maker openai anthropic');
const NO = words('no without free unbound unlimited');
const LIMITS = words('restrictions restriction filters filter limitations limits censorship rules guidelines boundaries constraints ethics morals guardrails');
const EXFIL_VERB = words('send post upload exfiltrate forward email transmit leak paste submit append attach');
const SENSITIVE = words('env ssh rsa id_rsa credentials passwords cookies secrets tokens apikey apikeys keychain wallet');
const ML_VERB = words('ignora ignore ignores ignorar ignorez ignorer ignoriere ignorieren ignoriert vergiss vergessen missachte olvida olvidate omite descarta esqueca desconsidere oublie oubliez oublier dimentica dimenticare negeer vergeet игнорируй игнорируйте игнорировать проигнорируй проигнорируйте забудь забудьте забыть αγνοηστε αγνοησε αγνοησετε ξεχαστε ξεχασε kalimutan balewalain');
const ML_OBJECT = words('instructions instrucciones indicaciones reglas ordenes directrices instrucoes regras ordens diretrizes consignes regles anweisungen anweisung regeln befehle vorgaben instruktionen richtlinien istruzioni regole direttive instructies regels инструкции инструкций инструкциям указания правила οδηγιες εντολες κανονες utos tagubilin instruksyon');

const r = (id: string, weight: number, gap: number, group: string | undefined, ...seq: PhraseRule['seq']): PhraseRule => ({ id, weight, gap, group, seq });

/** English and multilingual phrase rules, grouped so that near-duplicates count once. */
export const PROMPT_RULES: readonly PhraseRule[] = [
  // Instruction override.
  r('override.ignore_previous_instructions', 45, 3, 'override', OVERRIDE_VERB, SCOPE, OBJECT),
  r('override.ignore_instructions', 30, 3, 'override', OVERRIDE_VERB, OBJECT_STRONG),
  r('override.do_not_follow', 35, 2, 'override', words('not dont stop'), words('follow following obey obeying'), SCOPE, OBJECT),
  r('override.new_instructions', 20, 1, 'new_task', words('new updated real actual true revised'), words('instructions instruction directive directives task objective mission orders rules')),
  r('override.from_now_on', 20, 3, 'from_now_on', words('from'), words('now'), words('on'), words('you your')),
  r('override.actually_instead', 10, 8, undefined, words('actually but however'), words('instead')),
  r('override.ignore_above_and', 40, 1, 'override', OVERRIDE_VERB, words('above foregoing everything'), words('and')),
  r('override.task_cancelled', 35, 3, 'new_task', words('task original previous'), words('is has'), words('cancelled canceled over done finished void')),
  // Role play and jailbreak personas.
  r('jailbreak.do_anything_now', 45, 0, 'jailbreak', words('do'), words('anything'), words('now')),
  r('jailbreak.dan_mode', 30, 1, 'jailbreak', words('dan stan dude aim'), words('mode enabled prompt')),
  r('jailbreak.developer_mode', 25, 1, 'jailbreak', words('developer god debug admin sudo unrestricted jailbreak jailbroken evil'), words('mode enabled')),
  r('jailbreak.no_longer_bound', 30, 3, 'jailbreak_free', words('no'), words('longer'), words('bound restricted limited an ai assistant chatgpt claude')),
  r('jailbreak.broken_free', 25, 3, 'jailbreak_free', words('broken break'), words('free'), words('of from confines')),
  r('jailbreak.no_restrictions', 15, 2, 'limits', NO, LIMITS),
  r('jailbreak.stay_in_character', 20, 1, undefined, words('stay remain'), words('in'), words('character')),
  r('jailbreak.content_policy', 25, 4, undefined, words('ignore ignores bypass violate disregard not without'), words('openai content'), words('policy policies')),
  r('jailbreak.policies_replaced', 15, 2, undefined, words('policies rules guidelines'), words('have are been'), words('replaced removed lifted suspended')),
  r('jailbreak.two_responses', 15, 4, undefined, words('two both'), words('responses answers ways paragraphs'), words('normal one')),
  r('roleplay.act_as_unrestricted', 25, 5, 'jailbreak', words('act pretend roleplay simulate become'), words('unrestricted unfiltered uncensored jailbroken evil amoral unethical immoral')),
  // System prompt exfiltration.
  r('exfil.reveal_system_prompt', 40, 4, 'exfil_prompt', REVEAL, PROMPT_ADJ, PROMPT_NOUN),
  r('exfil.what_are_your_instructions', 30, 2, 'exfil_prompt', words('what whats'), words('your were are the'), words('instructions prompt directives')),
  r('exfil.words_above', 30, 3, 'exfil_above', words('repeat print output'), words('words text everything'), words('above before')),
  r('exfil.prompt_texts', 30, 1, 'exfil_prompt', words('prompt'), words('texts text')),
  r('mention.system_prompt', 15, 0, 'mention', words('system developer'), words('prompt instructions message')),
  // Secret and credential exfiltration.
  r('exfil.secret_request', 25, 5, 'secret', SECRET_ASK, SECRET_NOUN),
  r('exfil.secret_key_request', 25, 5, 'secret', SECRET_ASK, words('secret api private access'), SECRET_QUAL),
  r('exfil.send_credentials', 30, 6, 'exfil_creds', EXFIL_VERB, SENSITIVE),
  // Authority claims and fake modes.
  r('authority.claim_role', 20, 2, 'authority', words('im i'), AUTH_ROLE),
  r('authority.claim_role_am', 20, 2, 'authority', words('am'), words('your the a an'), AUTH_ROLE),
  r('authority.fake_mode', 15, 1, 'authority_mode', words('security system maintenance admin'), words('audit reset upgrade override mode')),
  r('authority.enter_mode', 25, 4, 'authority_mode', words('entering enter activate activating activated enable enabling engage engaging initiate initiating switching'), words('override maintenance debug developer admin god emergency unrestricted enforcement root sudo'), words('mode')),
  // System-prompt-style directives addressed to the assistant inside user text or a tool result: someone
  // pasting their own "system prompt" to redefine the assistant's role and limits (role/format forgery).
  r('forgery.directive_role', 15, 4, 'directive_role', words('you'), words('are'), words('chatbot chat bot assistant ai')),
  r('forgery.directive_as_bot', 15, 4, 'directive_role', words('as'), words('a an'), words('chatbot bot assistant')),
  r('forgery.directive_role_built', 15, 3, 'directive_role', words('chatbot bot assistant'), words('developed designed built programmed trained')),
  r('forgery.directive_task', 15, 0, 'directive_task', words('your'), words('job task role purpose function'), words('is')),
  r('forgery.directive_never', 15, 1, 'directive_never', words('under'), words('no'), words('circumstances')),
  r('forgery.directive_never_reveal', 15, 2, 'directive_never', words('do dont never not'), words('reveal disclose share discuss help give provide answer talk mention engage')),
  r('forgery.directive_avoid', 15, 2, 'directive_never', words('avoid avoiding refuse refrain'), words('discussing discuss talking talk answering answer providing provide giving give any all topics questions')),
  r('forgery.directive_prohibited', 15, 1, 'directive_never', words('strictly'), words('not prohibited forbidden off')),
  r('forgery.directive_intensifier', 10, 1, 'directive_intensity', words('under in at no'), words('any all matter'), words('circumstances cases costs what')),
  r('forgery.directive_not_allowed', 10, 0, 'directive_never', words('not'), words('programmed allowed permitted supposed'), words('to')),
  // Multilingual override.
  r('override.multilingual', 45, 4, 'override', ML_VERB, ML_OBJECT),
];

/** Literal markers (lowercase, checked by substring): chat-template tokens and fake wrappers. */
export const FORGERY_MARKERS: readonly string[] = [
  '<|im_start|>', '<|im_end|>', '<|system|>', '<|user|>', '<|assistant|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>',
  '<|endoftext|>', '[inst]', '[/inst]', '<<sys>>', '<</sys>>', '<start_of_turn>', '<end_of_turn>', '<system>', '</system>',
  '[system]', '<system mode>', '### instruction', '### system', '<tool_call>', '<function_calls>', '<system-reminder>',
  'external_untrusted_content', '{{#system~}}', '[system message]', '(system:', '[admin]',
];

/** CJK and other unsegmented override phrases: a verb and an object within 24 characters either way. */
export const CJK_OVERRIDE: ReadonlyArray<{ verbs: string[]; objects: string[] }> = [
  { verbs: ['忽略', '无视', '忘记', '忽视', '無視', '忘れ'], objects: ['指令', '指示', '说明', '规则', '提示', '命令', 'ルール', 'プロンプト', '規則'] },
  { verbs: ['무시', '잊어'], objects: ['지시', '명령', '규칙', '프롬프트'] },
  { verbs: ['अनदेखी', 'अनदेखा', 'भूल जा'], objects: ['निर्देश'] },
];
