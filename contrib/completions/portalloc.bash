# bash completion for portalloc(1)
# Commands, each command's options, block names from `portalloc config --json`.

_portalloc_blocks()
{
	portalloc config --json 2>/dev/null |
	    grep -o '"name":"[^"]*"' | sed 's/"name":"\(.*\)"/\1/'
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
	case $prev in
	-c|--config)
		COMPREPLY=($(compgen -f -- "$cur")); return ;;
	-b|--block)
		COMPREPLY=($(compgen -W "$(_portalloc_blocks)" -- "$cur")); return ;;
	-p|--proto)
		COMPREPLY=($(compgen -W "tcp udp both" -- "$cur")); return ;;
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
	release) opts="--tag --owner --block --mine --all-mine --json" ;;
	list) opts="--block --tag --owner --json" ;;
	exec)
		[[ " ${COMP_WORDS[*]} " == *" -- "* ]] && return
		opts="--block --count --proto --ttl --tag --consecutive --listen" ;;
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
