# bash completion for corral: subcommands, their flags, and policy key names after --set.
# (Standalone: compgen only, no bash-completion helpers needed.)

_corral_keys() {
	# every key of the built-in profile, as KEY=
	command corral policy default 2>/dev/null | sed -n 's/^\([A-Za-z0-9]*\) =.*/\1=/p' | sort -u
}

# Every name `corral kill` and friends resolve, from `corral ps` (columns TREE ACTOR ID PARENT):
# each tree, each actor's path from its tree's top-level actor, and TREE:ID.
_corral_live_names() {
	corral ps 2>/dev/null | awk 'NR > 1 && $3 ~ /^[0-9]+$/ && $4 ~ /^[0-9]+$/ {
		n[$1, $3] = $2; p[$1, $3] = $4; ids[$1] = ids[$1] " " $3
	}
	END {
		for (t in ids) {
			print t
			k = split(ids[t], a, " ")
			for (i = 1; i <= k; i++) {
				path = n[t, a[i]]
				for (q = p[t, a[i]]; q != 0 && (t, q) in n; q = p[t, q])
					path = n[t, q] "/" path
				print t "/" path
				print t ":" a[i]
			}
		}
	}'
}

_corral() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]} sub=${COMP_WORDS[1]}
	local i

	COMPREPLY=()
	if [ "$COMP_CWORD" -eq 1 ]; then
		mapfile -t COMPREPLY < <(compgen -W "run check policy ps tree kill stat sockets gc help --help --version" -- "$cur")
		return 0
	fi
	# after `run ... --` the words are the program's own
	for ((i = 2; i < COMP_CWORD; i++)); do
		if [ "${COMP_WORDS[i]}" = "--" ]; then
			mapfile -t COMPREPLY < <(compgen -c -- "$cur")
			return 0
		fi
	done
	case $sub in
	run)
		case $prev in
		--set)
			compopt -o nospace 2>/dev/null
			mapfile -t COMPREPLY < <(compgen -W "$(_corral_keys)" -- "$cur")
			return 0
			;;
		-p | --policy)
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			return 0
			;;
		-C | --chdir | --bind | --ro-bind | --tmpfs)
			mapfile -t COMPREPLY < <(compgen -d -- "$cur")
			return 0
			;;
		-u | --user)
			mapfile -t COMPREPLY < <(compgen -u -- "$cur")
			return 0
			;;
		--events)
			mapfile -t COMPREPLY < <(compgen -W "text json" -- "$cur")
			return 0
			;;
		--profile | --name | --fd | -e | --setenv | --unsetenv | --timeout)
			return 0
			;;
		esac
		mapfile -t COMPREPLY < <(compgen -W "-p --policy --profile --set --name --fd -e --setenv
			--unsetenv --clearenv --bind --ro-bind --tmpfs -C --chdir -u --user -t --pty --timeout -v --verbose -q --quiet
			--events -h --help --" -- "$cur")
		;;
	check)
		mapfile -t COMPREPLY < <(compgen -W "--json --help" -- "$cur")
		;;
	policy)
		if [ "$COMP_CWORD" -eq 2 ]; then
			mapfile -t COMPREPLY < <(compgen -W "check default --help" -- "$cur")
		elif [ "${COMP_WORDS[2]}" = check ]; then
			mapfile -t COMPREPLY < <(compgen -W "--json --changed" -f -- "$cur")
		else
			mapfile -t COMPREPLY < <(compgen -W "--json" -- "$cur")
		fi
		;;
	gc)
		mapfile -t COMPREPLY < <(compgen -W "--kill --wait --json --help" -- "$cur")
		;;
	ps)
		mapfile -t COMPREPLY < <(compgen -W "--json --help" -- "$cur")
		;;
	tree | kill | stat | sockets)
		# live trees and actors as `corral ps` lists them: TREE, TREE/ACTOR/CHILD..., TREE:ID
		local trees flags="--json --help" word=$cur
		trees=$(_corral_live_names)
		[ "$sub" = kill ] && flags="--grace --signal --force --json --help"
		# bash splits TREE:ID at the colon (COMP_WORDBREAKS): complete the whole word typed,
		# then offer only what follows its last colon, as bash-completion does
		if [ -n "${COMP_LINE-}" ]; then
			word=${COMP_LINE:0:COMP_POINT}
			word=${word##*[[:space:]]}
		fi
		mapfile -t COMPREPLY < <(compgen -W "$trees $flags" -- "$word")
		if [[ $word == *:* && $cur != "$word" ]]; then
			COMPREPLY=("${COMPREPLY[@]#"${word%:*}":}")
		fi
		;;
	help)
		mapfile -t COMPREPLY < <(compgen -W "run check policy ps tree kill stat sockets gc" -- "$cur")
		;;
	esac
	return 0
}

complete -F _corral corral
