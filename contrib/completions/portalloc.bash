# bash completion for portalloc(1)
# Commands, each command's options, block names from `portalloc config
# --json` (of the file an earlier -c FILE names), file names after exec's --.

# The blocks of the configuration the command line would read.
_portalloc_blocks()
{
	local i w cfg=()
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-c|--config) cfg=(-c "${COMP_WORDS[i+1]}"); ((i++)) ;;
		--config=*) cfg=(-c "${w#--config=}") ;;
		-c?*) cfg=(-c "${w#-c}") ;;
		--) break ;;
		esac
	done
	portalloc "${cfg[@]}" config --json 2>/dev/null |
	    grep -o '"name":"[^"]*"' | sed 's/"name":"\(.*\)"/\1/'
}

# After exec's --: a command first, then file names.
_portalloc_exec_command()
{
	local i
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -- ]] && break
	done
	((i == COMP_CWORD)) && return 1
	if ((i + 1 == COMP_CWORD)) && [[ $cur != */* ]]; then
		COMPREPLY=($(compgen -c -- "$cur"))
	else
		COMPREPLY=($(compgen -f -- "$cur"))
	fi
	return 0
}

_portalloc()
{
	local cur prev cmd i opts
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-c|--config) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	[[ $cmd == exec ]] && _portalloc_exec_command && return
	case $prev in
	-c|--config)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-b|--block)
		COMPREPLY=($(compgen -W "$(_portalloc_blocks)" -- "$cur")); return ;;
	-p|--proto)
		COMPREPLY=($(compgen -W "tcp udp tcp,udp" -- "$cur")); return ;;
	-f|--format)
		COMPREPLY=($(compgen -W "plain env json github dotenv" -- "$cur"))
		return ;;
	esac
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "get release list exec who check map gc
		    config reserve unreserve reservations --config --help
		    --version" -- "$cur"))
		return
	fi
	case $cmd in
	get) opts="--block --count --proto --owner --ttl --tag --consecutive
	    --format --json" ;;
	release) opts="--tag --owner --block --mine --json" ;;
	list) opts="--block --tag --owner --json" ;;
	exec) opts="--block --count --proto --ttl --tag --consecutive --listen" ;;
	who) opts="--json" ;;
	check|reserve|unreserve) opts="--block --json" ;;
	map) opts="--block" ;;
	gc|config|reservations) opts="--json" ;;
	*) return ;;
	esac
	[[ $cur == -* ]] &&
	    COMPREPLY=($(compgen -W "$opts --config --help" -- "$cur"))
}
complete -F _portalloc portalloc
