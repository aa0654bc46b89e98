# grammar/: the mvm DSL. flex and bison output goes to $(BUILD)/gen/grammar; bison runs with
# -Werror and the grammar says %expect 0, so any conflict fails the build.
DSL_GEN     := $(BUILD)/gen/grammar
DSL_SRC     := $(sort $(wildcard grammar/*.c))
DSL_OBJ     := $(DSL_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/grammar/parser.o $(BUILD)/obj/gen/grammar/lexer.o
DSL_HDR     := $(wildcard grammar/*.h) $(DSL_GEN)/parser.h
BISON       ?= bison
FLEX        ?= flex
# The grammar file is a variable so that tests/dsl.sh can prove a conflicting grammar fails
# this very rule.
DSL_PARSER_Y ?= grammar/parser.y
DSL_BISON_FLAGS := -Wall -Werror -Werror=conflicts-sr -Werror=conflicts-rr
# flex 2.6 and bison 3.8 output builds warning-free with the project's flags: no -Wno-... here.
DSL_GEN_CFLAGS := -I$(DSL_GEN) -Igrammar

EXTRA_COMPILER_OBJ += $(DSL_OBJ)

$(DSL_GEN)/parser.c $(DSL_GEN)/parser.h &: $(DSL_PARSER_Y)
	@mkdir -p $(DSL_GEN)
	$(BISON) $(DSL_BISON_FLAGS) --header=$(DSL_GEN)/parser.h -o $(DSL_GEN)/parser.c $<

$(DSL_GEN)/lexer.c $(DSL_GEN)/lexer.h &: grammar/lexer.l
	@mkdir -p $(DSL_GEN)
	$(FLEX) --header-file=$(DSL_GEN)/lexer.h -o $(DSL_GEN)/lexer.c $<

$(BUILD)/obj/gen/grammar/parser.o: $(DSL_GEN)/parser.c $(DSL_HDR) compiler/spec.h compiler/suggest.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DSL_GEN_CFLAGS) -c $< -o $@

$(BUILD)/obj/gen/grammar/lexer.o: $(DSL_GEN)/lexer.c $(DSL_HDR) compiler/spec.h
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DSL_GEN_CFLAGS) -c $< -o $@

$(BUILD)/obj/grammar/%.o: grammar/%.c $(DSL_HDR) $(wildcard lib/*.h compiler/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -I$(DSL_GEN) -c $< -o $@

# Compiler files that call into the DSL see its headers change.
$(BUILD)/obj/compiler/spec_load.o $(BUILD)/obj/compiler/spec_print_dsl.o: $(wildcard grammar/*.h)
