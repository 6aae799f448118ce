"""A Parsl launcher that starts the workers of a block with ``fluxs run``."""

from parsl.launchers.base import Launcher


class FluxsRunLauncher(Launcher):
    """Start ``tasks_per_node`` copies of the command on every node of a block
    with ``fluxs run``, inside the block's own instance (the child that
    ``fluxs batch`` made), as SrunLauncher does with srun in a Slurm job.

    The command is written to a file in the script directory (it is a bash
    script, not a single command) and run by bash in each task.

    Parameters
    ----------
    debug : bool
        Print what the launcher does to the block's output.
    overrides : str
        More options for ``fluxs run``, as a string put on its command line.
    """

    def __init__(self, debug: bool = True, overrides: str = ""):
        super().__init__(debug=debug)
        self.overrides = overrides

    def __call__(self, command: str, tasks_per_node: int, nodes_per_block: int, script_dir: str = "") -> str:
        """Return the bash lines that launch COMMAND in the block."""
        return """set -e
SCRIPT_DIR="{script_dir}"
[[ -d "$SCRIPT_DIR" ]] || SCRIPT_DIR="$PWD"
CMD_FILE="$SCRIPT_DIR/cmd_$JOBNAME.sh"
cat << 'FLUXS_LAUNCHER_EOF' > "$CMD_FILE"
{command}
FLUXS_LAUNCHER_EOF
chmod u+x "$CMD_FILE"
if [[ "{debug}" == "1" ]]; then echo "Launching {tasks_per_node} task(s) on each of {nodes} node(s)"; fi
fluxs run --nodes={nodes} --tasks-per-node={tasks_per_node} --label-io {overrides} /bin/bash "$CMD_FILE"
if [[ "{debug}" == "1" ]]; then echo "Done"; fi
""".format(
            script_dir=script_dir,
            command=command,
            debug=int(self.debug),
            tasks_per_node=tasks_per_node,
            nodes=nodes_per_block,
            overrides=self.overrides,
        )
