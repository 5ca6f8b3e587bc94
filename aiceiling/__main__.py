from aiceiling.cli.app import main

main()
