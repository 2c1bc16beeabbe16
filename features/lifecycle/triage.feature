Feature: Triage by the petition bureau (转送、交办、直接办理、移交、依法分类处理)
  Within 15 days of receipt the petition bureau transfers the matter to the competent unit,
  assigns it with a deadline, handles it itself, hands it to the 政法 or 纪检监察 organs, or
  routes it out to the statutory procedure it belongs to (《信访工作条例》 arts. 22, 31).

  Background:
    Given the organisation of 哈密市 and 伊州区 as on file
    And 伊州区信访局 registered case A on 2026-03-02

  Rule: The bureau passes the matter to the competent unit

    Scenario: The bureau transfers (转送) a housing grievance to the housing bureau
      When 伊州区信访局 transfers case A to 伊州区住房和城乡建设局 on 2026-03-03
      Then case A stands at "已转送待签收"
      And case A is with 伊州区住房和城乡建设局

    Scenario: The bureau assigns (交办) the matter with a date for the report back
      When 伊州区信访局 assigns case A to 伊州区住房和城乡建设局 on 2026-03-03, due 2026-03-31
      Then case A stands at "已转送待签收"
      And case A was assigned (交办) to 伊州区住房和城乡建设局 with a report due 2026-03-31

    Scenario: An assignment due on the day it is made is refused
      When 伊州区信访局 assigns case A to 伊州区住房和城乡建设局 on 2026-03-03, due 2026-03-03
      Then the step is refused with "assign.due_in_past"
      And nothing was recorded

    Scenario: Only the unit holding the matter may triage it
      When 伊州区人力资源和社会保障局 transfers case A to 伊州区住房和城乡建设局 on 2026-03-03
      Then the step is refused with "actor.not_holder"
      And nothing was recorded

    Scenario: The bureau handles the matter itself
      When 伊州区信访局 decides on 2026-03-03 to handle case A itself
      Then case A stands at "已签收待受理"
      And case A is with 伊州区信访局

  Rule: Litigation matters go to the 政法 organs, accusations against officials to 纪检监察

    Scenario: A matter about litigation rights is handed to the political and legal committee
      When 伊州区信访局 routes case A to the 政法机关 伊州区委政法委 on 2026-03-03
      Then case A stands at "已导入法定途径或移交"
      And case A was handed to the 政法机关 伊州区委政法委

    Scenario: An accusation against an official is handed to the discipline commission
      Given 伊州区信访局 registered case B on 2026-03-02 with:
        | 信访形式 | 来信     |
        | 事项类型 | 检举控告 |
        | 被反映人 | 王某     |
      When 伊州区信访局 routes case B to the 纪检监察机关 伊州区纪委监委 on 2026-03-03
      Then case B stands at "已导入法定途径或移交"
      And case B was handed to the 纪检监察机关 伊州区纪委监委

    Scenario: A department cannot stand in for the 政法 organs
      When 伊州区信访局 routes case A to the 政法机关 伊州区住房和城乡建设局 on 2026-03-03
      Then the step is refused with "route.wrong_organ"
      And nothing was recorded

  Rule: A grievance that belongs to another statutory procedure leaves the petition track (art. 31)

    Scenario Outline: The bureau routes the matter out under article 31(<item>)
      When 伊州区信访局 routes case A out under article 31(<item>) to <procedure> on 2026-03-03
      Then case A stands at "已导入法定途径或移交"
      And case A left the petition track for <procedure> under article 31(<item>)

      Examples:
        | item | procedure        |
        | 一   | 行政诉讼         |
        | 二   | 劳动人事争议仲裁 |
        | 三   | 党员申诉         |
        | 四   | 行政复议         |
        | 五   | 依法履行职责     |

  Rule: A repeat of a matter already on file is merged into it

    Scenario: A second letter on the same matter is marked as a repeat
      Given 伊州区信访局 registered case B on 2026-03-10
      When 伊州区信访局 marks case B as a repeat of case A on 2026-03-10
      Then case B stands at "已作重复件合并"
      And case B was merged into case A
