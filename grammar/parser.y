/* The mvm DSL grammar (docs/dsl.md has the summary). It only builds the spec: every check of
 * meaning lives in dsl_build.c (local facts) or compiler/resolve.c (names, widths, ceilings).
 * Zero conflicts: %expect 0, and the build runs bison with -Werror. */
%require "3.8"
%define api.pure full
%define api.prefix {dsl_yy}
%define api.token.prefix {T_}
%define parse.error custom
%define parse.lac full
%locations
%expect 0
%lex-param {void *scanner}
%parse-param {void *scanner} {struct dsl_state *st}

%code requires {
#include "dsl_parse.h"
}

%code provides {
int dsl_yylex(DSL_YYSTYPE *lval, DSL_YYLTYPE *lloc, void *scanner);
}

%code {
#include <string.h>

#include "compiler/suggest.h"

static void dsl_yyerror(const DSL_YYLTYPE *loc, void *scanner, struct dsl_state *st, const char *msg);
static const struct dsl_vec no_vec;
#define PUSH(vec, elem) (dsl_push(st, &(vec), &(elem), sizeof(elem)))
#define CLOSE(which, at) dsl_close(st, (which), (at).first_line, (at).first_column)
}

%union {
	struct dsl_word word;
	struct dsl_vec vec;
	struct mvm_value value;
	struct mvm_spec_cond cond;
	struct mvm_spec_action action;
	struct dsl_term term;
	unsigned mask;
	int op;
}

%token <word> NAME "name" NUMBER "number" STRING "string" GROUP "@group"
%token <word> MVM "mvm" INCLUDE "include" CONST "const" GROUPKW "group" PROFILE "profile"
%token <word> EXTENDS "extends" TIER "tier" INTENT "intent" ARCH "arch" SECCOMP "seccomp"
%token <word> DEFAULT "default" ALLOW "allow" LOG "log" TRAP "trap" KILL_THREAD "kill-thread"
%token <word> KILL_PROCESS "kill-process" ENOSYS "enosys" ERRNO "errno" IF "if" AND "and" IN "in"
%token <word> ON "on" BECAUSE "because" EGRESS "egress" RESOLVER "resolver" PORT "port"
%token <word> FILESYSTEM "filesystem" ROOT "root" ROOTFS "rootfs" SHARE "share" PROCESS "process"
%token <word> UID "uid" GID "gid" CAPABILITIES "capabilities" SECRETS "secrets" RELEASE "release"
%token <word> TOOLS "tools" AUDIT "audit" LABELS "labels" ADMISSION "admission" VALID_FOR "valid-for"
%token <word> EQ "==" NE "!=" LE "<=" GE ">=" LT "<" GT ">" ARROW "->"

%type <word> name pword kw kw_noext sysname errno_arg dest text because mode
%type <term> term
%type <vec> syscalls conds condlist values arch_list names texts labels ports port_list
%type <value> value operand
%type <cond> cond
%type <action> action
%type <mask> on
%type <op> cmp

%%

file: header decls profile_opt ;

header: %empty
      | MVM NUMBER semi                         { dsl_schema(st, &$1, &$2); }
      ;

decls: %empty | decls decl ;

decl: INCLUDE STRING semi                       { dsl_include(st, &$1, &$2); }
    | CONST name '=' value semi                 { dsl_const(st, &$2, &$4); }
    | GROUPKW GROUP '=' syscalls semi           { dsl_group(st, &$2, &$4); }
    | error ';'                                 { yyerrok; }
    | error '{' skipped '}'                     { yyerrok; }
    ;

profile_opt: %empty | profile ;

profile: profile_head '{' body '}'              { CLOSE(MVM_AT_PROFILE_END, @4); }
       | profile_head '{' body error '}'        { CLOSE(MVM_AT_PROFILE_END, @5); }
       ;

profile_head: PROFILE pname extends             { dsl_profile(st, &$1); } ;

pname: %empty | pword                           { dsl_profile_name(st, &$1); } ;

pword: NAME | NUMBER | STRING | kw_noext ;

extends: %empty
       | EXTENDS TIER name                      { dsl_extends(st, &$3); }
       | EXTENDS STRING                         { dsl_extends(st, &$2); }
       ;

body: %empty | body stmt ;

stmt: INTENT name semi                          { dsl_intent(st, &$1, &$2); }
    | ARCH arch_list semi                       { dsl_arch(st, &$1, &$2); }
    | seccomp_head '{' rules '}'                { CLOSE(MVM_AT_SECCOMP_END, @4); }
    | seccomp_head '{' rules error '}'          { CLOSE(MVM_AT_SECCOMP_END, @5); }
    | egress_head '{' estmts '}'                { CLOSE(MVM_AT_EGRESS_END, @4); }
    | egress_head '{' estmts error '}'          { CLOSE(MVM_AT_EGRESS_END, @5); }
    | filesystem_head '{' fstmts '}'            { CLOSE(MVM_AT_FILESYSTEM_END, @4); }
    | filesystem_head '{' fstmts error '}'      { CLOSE(MVM_AT_FILESYSTEM_END, @5); }
    | process_head '{' pstmts '}'               { CLOSE(MVM_AT_PROCESS_END, @4); }
    | process_head '{' pstmts error '}'         { CLOSE(MVM_AT_PROCESS_END, @5); }
    | SECRETS RELEASE name semi                 { dsl_secrets(st, &$1, &$3); }
    | TOOLS ALLOW texts semi                    { dsl_tools(st, &$1, &$3); }
    | AUDIT LABELS labels semi                  { dsl_labels(st, &$1, &$3); }
    | ADMISSION VALID_FOR NUMBER semi           { dsl_admission(st, &$1, &$3); }
    | error ';'                                 { yyerrok; }
    | error '{' skipped '}'                     { yyerrok; }
    ;

/* ---- seccomp ---- */

seccomp_head: SECCOMP                           { dsl_seccomp(st, &$1, NULL); }
            | SECCOMP DEFAULT action            { dsl_seccomp(st, &$1, &$3); }
            ;

rules: %empty | rules rule ;

rule: action syscalls conds on because semi     { dsl_rule(st, &$1, &$2, &$3, $4, &$5); }
    | error ';'                                 { yyerrok; }
    ;

action: ALLOW                                   { dsl_action(st, &$1, NULL, &$$); }
      | LOG                                     { dsl_action(st, &$1, NULL, &$$); }
      | TRAP                                    { dsl_action(st, &$1, NULL, &$$); }
      | KILL_THREAD                             { dsl_action(st, &$1, NULL, &$$); }
      | KILL_PROCESS                            { dsl_action(st, &$1, NULL, &$$); }
      | ENOSYS                                  { dsl_action(st, &$1, NULL, &$$); }
      | ERRNO '(' errno_arg ')'                 { dsl_action(st, &$1, &$3, &$$); }
      ;

errno_arg: NAME | NUMBER | STRING ;

syscalls: sysname                               { $$ = no_vec; PUSH($$, $1); }
        | syscalls ',' sysname                  { $$ = $1; PUSH($$, $3); }
        ;

sysname: name | GROUP ;

conds: %empty                                   { $$ = no_vec; }
     | IF condlist                              { $$ = $2; }
     ;

condlist: cond                                  { $$ = no_vec; PUSH($$, $1); }
        | condlist AND cond                     { $$ = $1; PUSH($$, $3); }
        ;

/* ARG OP OPERAND, ARG in (V, ...), ARG & MASK == OPERAND, ARG & MASK in (V, ...). A value of
 * several terms after an operator is parenthesized, so that no reader applies C's precedence
 * (where `flags & A | B == 0` would mean something else entirely). */
cond: name cmp operand                          { struct dsl_vec v = no_vec; PUSH(v, $3);
                                                  dsl_cond(st, &$$, &$1, $2, NULL, &v); }
    | name IN '(' values ')'                    { dsl_cond(st, &$$, &$1, SOP_IN, NULL, &$4); }
    | name '&' operand EQ operand               { struct dsl_vec v = no_vec; PUSH(v, $5);
                                                  dsl_cond(st, &$$, &$1, SOP_EQ, &$3, &v); }
    | name '&' operand IN '(' values ')'        { dsl_cond(st, &$$, &$1, SOP_IN, &$3, &$6); }
    ;

operand: term                                   { memset(&$$, 0, sizeof($$)); dsl_value_term(st, &$$, &$1); }
       | '(' value ')'                          { $$ = $2; }
       ;

cmp: EQ { $$ = SOP_EQ; } | NE { $$ = SOP_NE; } | LT { $$ = SOP_LT; }
   | LE { $$ = SOP_LE; } | GT { $$ = SOP_GT; } | GE { $$ = SOP_GE; }
   ;

values: value                                   { $$ = no_vec; PUSH($$, $1); }
      | values ',' value                        { $$ = $1; PUSH($$, $3); }
      ;

value: term                                     { memset(&$$, 0, sizeof($$)); dsl_value_term(st, &$$, &$1); }
     | value '|' term                           { $$ = $1; dsl_value_term(st, &$$, &$3); }
     ;

term: NAME                                      { $$ = (struct dsl_term){ $1, DSL_TERM_NAME }; }
    | NUMBER                                    { $$ = (struct dsl_term){ $1, DSL_TERM_NUMBER }; }
    | STRING                                    { $$ = (struct dsl_term){ $1, DSL_TERM_STRING }; }
    ;

on: %empty                                      { $$ = 0; }
  | ON arch_list                                { $$ = dsl_arch_mask(st, &$2, "on"); }
  ;

because: %empty                                 { $$ = (struct dsl_word){ NULL, { NULL, 0, 0 } }; }
       | BECAUSE STRING                         { $$ = $2; }
       ;

arch_list: name                                 { $$ = no_vec; PUSH($$, $1); }
         | arch_list ',' name                   { $$ = $1; PUSH($$, $3); }
         ;

/* ---- egress ---- */

egress_head: EGRESS                             { dsl_egress(st, &$1, NULL); }
           | EGRESS DEFAULT name                { dsl_egress(st, &$1, &$3); }
           ;

estmts: %empty | estmts estmt ;

estmt: RESOLVER dest semi                       { dsl_resolver(st, &$1, &$2); }
     | ALLOW name dest ports semi               { dsl_egress_rule(st, &$1, &$2, &$3, &$4); }
     | error ';'                                { yyerrok; }
     ;

dest: name | NUMBER ;

ports: %empty                                   { $$ = no_vec; }
     | PORT port_list                           { $$ = $2; }
     ;

port_list: NUMBER                               { $$ = no_vec; PUSH($$, $1); }
         | port_list ',' NUMBER                 { $$ = $1; PUSH($$, $3); }
         ;

/* ---- filesystem, process ---- */

filesystem_head: FILESYSTEM                     { dsl_filesystem(st, &$1); } ;

fstmts: %empty | fstmts fstmt ;

fstmt: ROOT name semi                           { dsl_root(st, &$1, &$2); }
     | ROOTFS STRING semi                       { dsl_rootfs(st, &$1, &$2); }
     | SHARE STRING ARROW STRING mode semi      { dsl_share(st, &$1, &$2, &$4, &$5); }
     | error ';'                                { yyerrok; }
     ;

mode: %empty                                    { $$ = (struct dsl_word){ NULL, { NULL, 0, 0 } }; }
    | name
    ;

process_head: PROCESS                           { dsl_process(st, &$1); } ;

pstmts: %empty | pstmts pstmt ;

pstmt: UID NUMBER semi                          { dsl_id(st, &$1, &$2); }
     | GID NUMBER semi                          { dsl_id(st, &$1, &$2); }
     | CAPABILITIES names semi                  { dsl_caps(st, &$1, &$2); }
     | error ';'                                { yyerrok; }
     ;

names: name                                     { $$ = no_vec; PUSH($$, $1); }
     | names ',' name                           { $$ = $1; PUSH($$, $3); }
     ;

texts: text                                     { $$ = no_vec; PUSH($$, $1); }
     | texts ',' text                           { $$ = $1; PUSH($$, $3); }
     ;

text: name | NUMBER ;

labels: text '=' text                           { $$ = no_vec; PUSH($$, $1); PUSH($$, $3); }
      | labels ',' text '=' text                { $$ = $1; PUSH($$, $3); PUSH($$, $5); }
      ;

/* A statement's ';'. When it is missing, `error` stands in for it, so the parse resumes at
 * the next statement instead of skipping it (the message says "expected ';'"). */
semi: ';' | error { yyerrok; } ;

/* After a statement that could not be read, everything up to its ';' or its balanced
 * { block } is skipped (a misspelled `proces { ... }` costs one message, not one per line). */
skipped: %empty | skipped skip_token | skipped '{' skipped '}' ;

skip_token: NAME | NUMBER | STRING | GROUP | kw | ';' | ',' | '(' | ')' | '=' | '|' | '&'
          | EQ | NE | LE | GE | LT | GT | ARROW
          ;

/* ---- words ---- */

/* Where a name is expected, a reserved word is a name too (`allow seccomp;`, `if uid == 0`),
 * and any text can be written as a string. */
name: NAME | STRING | kw ;

kw: kw_noext | EXTENDS ;

kw_noext: MVM | INCLUDE | CONST | GROUPKW | PROFILE | TIER | INTENT | ARCH | SECCOMP | DEFAULT
        | ALLOW | LOG | TRAP | KILL_THREAD | KILL_PROCESS | ENOSYS | ERRNO | IF | AND | IN | ON
        | BECAUSE | EGRESS | RESOLVER | PORT | FILESYSTEM | ROOT | ROOTFS | SHARE | PROCESS | UID
        | GID | CAPABILITIES | SECRETS | RELEASE | TOOLS | AUDIT | LABELS | ADMISSION | VALID_FOR
        ;

%%

static void dsl_yyerror(const DSL_YYLTYPE *loc, void *scanner, struct dsl_state *st, const char *msg)
{
	(void)scanner;
	dsl_error(st, dsl_loc(st, loc->first_line, loc->first_column), "%s", msg);
}

/* How a grammar symbol reads in a message: 'intent', ';', a name, end of file. */
static const char *symbol_text(yysymbol_kind_t sym, char *buf, size_t len)
{
	switch (sym) {
	case YYSYMBOL_YYEOF: return "end of file";
	case YYSYMBOL_NAME: return "a name";
	case YYSYMBOL_NUMBER: return "a number";
	case YYSYMBOL_STRING: return "a string";
	case YYSYMBOL_GROUP: return "an @group";
	default: break;
	}
	/* Bison gives keywords and operators by their alias, unquoted; single characters quoted. */
	const char *n = yysymbol_name(sym);
	snprintf(buf, len, n[0] == '\'' ? "%s" : "'%s'", n);
	return buf;
}

/* The keyword spelled by a symbol, or NULL. */
static const char *symbol_keyword(yysymbol_kind_t sym)
{
	if (sym == YYSYMBOL_NAME || sym == YYSYMBOL_NUMBER || sym == YYSYMBOL_STRING || sym == YYSYMBOL_GROUP)
		return NULL;
	const char *n = yysymbol_name(sym);
	return mvm_dsl_is_keyword(n) ? n : NULL;
}

/* Compiler-style messages: a missing ';' at the end of a line is reported after the token
 * that should carry it; a misspelled keyword gets a suggestion among the keywords that fit. */
static int yyreport_syntax_error(const yypcontext_t *ctx, void *scanner, struct dsl_state *st)
{
	(void)scanner;
	enum { MAXEXP = 64 };
	yysymbol_kind_t exp[MAXEXP];
	int nexp = yypcontext_expected_tokens(ctx, exp, MAXEXP);
	if (nexp < 0)
		nexp = 0;
	yysymbol_kind_t got = yypcontext_token(ctx);
	const DSL_YYLTYPE *l = yypcontext_location(ctx);
	struct mvm_loc at = dsl_loc(st, l->first_line, l->first_column);
	bool want_semi = false, want_name = false;
	for (int i = 0; i < nexp; i++) {
		want_semi |= strcmp(yysymbol_name(exp[i]), "';'") == 0;
		want_name |= exp[i] == YYSYMBOL_NAME;
	}
	/* A token the scanner already complained about (an unterminated string, a stray character)
	 * usually derails the statement; one message per line is enough. */
	if (st->lex_error_line && (at.line == st->lex_error_line || st->prev_end.line == st->lex_error_line))
		return 0;
	char gotbuf[MVM_DSL_MAX_WORD + 16];
	const char *gtext = st->tok_text ? st->tok_text : "";
	if (got == YYSYMBOL_YYEOF)
		snprintf(gotbuf, sizeof(gotbuf), "end of file");
	else if (got == YYSYMBOL_STRING)
		snprintf(gotbuf, sizeof(gotbuf), "a string");
	else
		snprintf(gotbuf, sizeof(gotbuf), "'%s'", gtext);
	if (want_semi && st->prev_text && (got == YYSYMBOL_YYEOF || at.line > st->prev_end.line)) {
		dsl_error(st, st->prev_end, "expected ';' after '%s'", st->prev_text);
		return 0;
	}
	if (strcmp(yysymbol_name(got), "'|'") == 0) {
		dsl_error(st, at, "a value of several terms after an operator goes in parentheses: (A | B)");
		return 0;
	}
	bool got_keyword = symbol_keyword(got) != NULL, unknown_keyword = false, want_seccomp = false;
	for (int i = 0; i < nexp; i++)
		want_seccomp |= exp[i] == YYSYMBOL_SECCOMP;
	if (want_seccomp && (got == YYSYMBOL_ALLOW || got == YYSYMBOL_LOG || got == YYSYMBOL_TRAP || got == YYSYMBOL_ERRNO ||
			     got == YYSYMBOL_ENOSYS || got == YYSYMBOL_KILL_THREAD || got == YYSYMBOL_KILL_PROCESS)) {
		dsl_error(st, at, "a rule outside a block: syscall rules go in 'seccomp { ... }', destinations in 'egress { ... }'");
		return 0;
	}
	if (!want_name && (got == YYSYMBOL_NAME || got_keyword)) {
		struct mvm_suggest sg;
		mvm_suggest_init(&sg, gtext);
		for (int i = 0; i < nexp; i++)
			if (symbol_keyword(exp[i]))
				mvm_suggest_offer(&sg, symbol_keyword(exp[i]));
		const char *best = mvm_suggest_result(&sg);
		if (best) {
			dsl_error(st, at, "%s '%s'; did you mean '%s'?", got_keyword ? "misplaced keyword" : "unknown keyword",
				  gtext, best);
			return 0;
		}
		unknown_keyword = got == YYSYMBOL_NAME;
	}
	/* The expected list; keywords are left out where any name fits (they are names there). */
	char list[512] = "";
	int shown = 0;
	for (int i = 0; i < nexp; i++) {
		char b[64];
		if (want_name && symbol_keyword(exp[i]))
			continue;
		const char *t = symbol_text(exp[i], b, sizeof(b));
		size_t used = strlen(list);
		snprintf(list + used, sizeof(list) - used, "%s%s", shown ? ", " : "", t);
		shown++;
	}
	if (shown)
		dsl_error(st, at, "%s %s; expected %s", unknown_keyword ? "unknown keyword" : "unexpected", gotbuf, list);
	else
		dsl_error(st, at, "unexpected %s", gotbuf);
	return 0;
}
